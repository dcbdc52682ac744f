//go:build amd64

#include "textflag.h"

// AVX-512 micro-kernels: 6 rows × 4 zmm of C in Z0..Z23, B row in Z24..Z27,
// A broadcasts rotating through Z28..Z31. Per k step 24 FMAs for 4 loads and
// 6 broadcasts: twice the work per instruction of the AVX2 kernels, which on
// CPUs with full-width 512-bit FMA units (Zen5 measured here: 195 vs 97
// GFLOP/s per core on a bare FMA loop) doubles the peak. Same contract and
// packed layouts as kernel_amd64.s, with NR = 64 (float32) or 32 (float64):
// a B panel row is 256 bytes either way.

#define ROW4(op, bc, ao, r, a0, a1, a2, a3) \
	bc ao(AX), r; \
	op Z24, r, a0; \
	op Z25, r, a1; \
	op Z26, r, a2; \
	op Z27, r, a3

#define STEP(op, bc, es, ao, bo) \
	VMOVUPS bo(BX), Z24; \
	VMOVUPS bo+64(BX), Z25; \
	VMOVUPS bo+128(BX), Z26; \
	VMOVUPS bo+192(BX), Z27; \
	ROW4(op, bc, ao, Z28, Z0, Z1, Z2, Z3); \
	ROW4(op, bc, ao+es, Z29, Z4, Z5, Z6, Z7); \
	ROW4(op, bc, ao+2*es, Z30, Z8, Z9, Z10, Z11); \
	ROW4(op, bc, ao+3*es, Z31, Z12, Z13, Z14, Z15); \
	ROW4(op, bc, ao+4*es, Z28, Z16, Z17, Z18, Z19); \
	ROW4(op, bc, ao+5*es, Z29, Z20, Z21, Z22, Z23)

#define ZERO24 \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; VPXORD Z17, Z17, Z17; VPXORD Z18, Z18, Z18; VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; VPXORD Z21, Z21, Z21; VPXORD Z22, Z22, Z22; VPXORD Z23, Z23, Z23

// C row pointers: rows 0..2 at (R8)(R10*{0,1,2}), rows 3..5 from R11.
#define ROWS(shift) \
	MOVQ c+24(FP), R8; \
	MOVQ ldc+32(FP), R10; \
	SHLQ $shift, R10; \
	LEAQ (R8)(R10*2), R11; \
	ADDQ R10, R11

#define PREF4(m0, m1, m2, m3) \
	PREFETCHT0 m0; PREFETCHT0 m1; PREFETCHT0 m2; PREFETCHT0 m3

#define PREFC \
	PREF4((R8), 64(R8), 128(R8), 192(R8)); \
	PREF4((R8)(R10*1), 64(R8)(R10*1), 128(R8)(R10*1), 192(R8)(R10*1)); \
	PREF4((R8)(R10*2), 64(R8)(R10*2), 128(R8)(R10*2), 192(R8)(R10*2)); \
	PREF4((R11), 64(R11), 128(R11), 192(R11)); \
	PREF4((R11)(R10*1), 64(R11)(R10*1), 128(R11)(R10*1), 192(R11)(R10*1)); \
	PREF4((R11)(R10*2), 64(R11)(R10*2), 128(R11)(R10*2), 192(R11)(R10*2))

// alpha (Z24) times one row's accumulators.
#define SCALE(mul, a0, a1, a2, a3) \
	mul Z24, a0, a0; mul Z24, a1, a1; mul Z24, a2, a2; mul Z24, a3, a3

// += beta (Z25) · one C row (four 64-byte pieces).
#define ADDC(fma, m0, m1, m2, m3, a0, a1, a2, a3) \
	fma m0, Z25, a0; fma m1, Z25, a1; fma m2, Z25, a2; fma m3, Z25, a3

#define STOREC(m0, m1, m2, m3, a0, a1, a2, a3) \
	VMOVUPS a0, m0; VMOVUPS a1, m1; VMOVUPS a2, m2; VMOVUPS a3, m3

// The whole kernel body; es is the element size, ks the A bytes per k step.
#define KERNEL(op, bc, mul, es, ks, shift) \
	MOVQ k+0(FP), CX; \
	MOVQ a+8(FP), AX; \
	MOVQ b+16(FP), BX; \
	ROWS(shift); \
	PREFC; \
	ZERO24; \
	MOVQ CX, DX; \
	SHRQ $2, DX; \
	JZ   tail; \
loop4: \
	STEP(op, bc, es, 0, 0); \
	STEP(op, bc, es, ks, 256); \
	STEP(op, bc, es, 2*ks, 512); \
	STEP(op, bc, es, 3*ks, 768); \
	ADDQ $(4*ks), AX; \
	ADDQ $1024, BX; \
	DECQ DX; \
	JNZ  loop4; \
tail: \
	ANDQ $3, CX; \
	JZ   done; \
loop1: \
	STEP(op, bc, es, 0, 0); \
	ADDQ $ks, AX; \
	ADDQ $256, BX; \
	DECQ CX; \
	JNZ  loop1; \
done: \
	bc alpha+40(FP), Z24; \
	SCALE(mul, Z0, Z1, Z2, Z3); \
	SCALE(mul, Z4, Z5, Z6, Z7); \
	SCALE(mul, Z8, Z9, Z10, Z11); \
	SCALE(mul, Z12, Z13, Z14, Z15); \
	SCALE(mul, Z16, Z17, Z18, Z19); \
	SCALE(mul, Z20, Z21, Z22, Z23)

#define FINISH(fma) \
	ADDC(fma, (R8), 64(R8), 128(R8), 192(R8), Z0, Z1, Z2, Z3); \
	ADDC(fma, (R8)(R10*1), 64(R8)(R10*1), 128(R8)(R10*1), 192(R8)(R10*1), Z4, Z5, Z6, Z7); \
	ADDC(fma, (R8)(R10*2), 64(R8)(R10*2), 128(R8)(R10*2), 192(R8)(R10*2), Z8, Z9, Z10, Z11); \
	ADDC(fma, (R11), 64(R11), 128(R11), 192(R11), Z12, Z13, Z14, Z15); \
	ADDC(fma, (R11)(R10*1), 64(R11)(R10*1), 128(R11)(R10*1), 192(R11)(R10*1), Z16, Z17, Z18, Z19); \
	ADDC(fma, (R11)(R10*2), 64(R11)(R10*2), 128(R11)(R10*2), 192(R11)(R10*2), Z20, Z21, Z22, Z23)

#define STOREALL \
	STOREC((R8), 64(R8), 128(R8), 192(R8), Z0, Z1, Z2, Z3); \
	STOREC((R8)(R10*1), 64(R8)(R10*1), 128(R8)(R10*1), 192(R8)(R10*1), Z4, Z5, Z6, Z7); \
	STOREC((R8)(R10*2), 64(R8)(R10*2), 128(R8)(R10*2), 192(R8)(R10*2), Z8, Z9, Z10, Z11); \
	STOREC((R11), 64(R11), 128(R11), 192(R11), Z12, Z13, Z14, Z15); \
	STOREC((R11)(R10*1), 64(R11)(R10*1), 128(R11)(R10*1), 192(R11)(R10*1), Z16, Z17, Z18, Z19); \
	STOREC((R11)(R10*2), 64(R11)(R10*2), 128(R11)(R10*2), 192(R11)(R10*2), Z20, Z21, Z22, Z23); \
	VZEROUPPER; \
	RET

// func sgemmKernAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, load bool)
TEXT ·sgemmKernAVX512(SB), NOSPLIT, $0-49
	KERNEL(VFMADD231PS, VBROADCASTSS, VMULPS, 4, 24, 2)
	MOVBQZX load+48(FP), DX
	TESTQ   DX, DX
	JZ      sstore
	VBROADCASTSS beta+44(FP), Z25
	FINISH(VFMADD231PS)

sstore:
	STOREALL

// func dgemmKernAVX512(k int, a, b, c *float64, ldc int, alpha, beta float64, load bool)
TEXT ·dgemmKernAVX512(SB), NOSPLIT, $0-57
	KERNEL(VFMADD231PD, VBROADCASTSD, VMULPD, 8, 48, 3)
	MOVBQZX load+56(FP), DX
	TESTQ   DX, DX
	JZ      dstore
	VBROADCASTSD beta+48(FP), Z25
	FINISH(VFMADD231PD)

dstore:
	STOREALL
