//go:build amd64

#include "textflag.h"

// The micro-kernels keep a 6-row tile of C in 12 ymm accumulators (Y0..Y11,
// two per row), stream one packed column of A (6 broadcasts) and one packed
// row of B (two 32-byte loads) per k step: 12 FMAs for 8 loads, which keeps
// Zen3's two FMA pipes busy. The k loop is unrolled by 4.
//
// Packed layouts (see pack.go): A panel a[p*6+i], B panel b[p*NR+j].
// load=false means "beta is zero": C is only written, never read, so NaNs
// or garbage already in C cannot leak into the result.

// One float32 k step: A at ao(AX), B at bo(BX), bo+32(BX).
#define SSTEP(ao, bo) \
	VMOVUPS bo(BX), Y12; \
	VMOVUPS bo+32(BX), Y13; \
	VBROADCASTSS ao(AX), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS ao+4(AX), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS ao+8(AX), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS ao+12(AX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS ao+16(AX), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS ao+20(AX), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

// One float64 k step: 6 rows × 8 columns.
#define DSTEP(ao, bo) \
	VMOVUPD bo(BX), Y12; \
	VMOVUPD bo+32(BX), Y13; \
	VBROADCASTSD ao(AX), Y14; \
	VFMADD231PD Y12, Y14, Y0; \
	VFMADD231PD Y13, Y14, Y1; \
	VBROADCASTSD ao+8(AX), Y15; \
	VFMADD231PD Y12, Y15, Y2; \
	VFMADD231PD Y13, Y15, Y3; \
	VBROADCASTSD ao+16(AX), Y14; \
	VFMADD231PD Y12, Y14, Y4; \
	VFMADD231PD Y13, Y14, Y5; \
	VBROADCASTSD ao+24(AX), Y15; \
	VFMADD231PD Y12, Y15, Y6; \
	VFMADD231PD Y13, Y15, Y7; \
	VBROADCASTSD ao+32(AX), Y14; \
	VFMADD231PD Y12, Y14, Y8; \
	VFMADD231PD Y13, Y14, Y9; \
	VBROADCASTSD ao+40(AX), Y15; \
	VFMADD231PD Y12, Y15, Y10; \
	VFMADD231PD Y13, Y15, Y11

#define ZEROACC \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// C row pointers: R8 rows 0..2 via (R8)(R10*{1,2}), R11 = row 3.
#define ROWS(shift) \
	MOVQ c+24(FP), R8; \
	MOVQ ldc+32(FP), R10; \
	SHLQ $shift, R10; \
	LEAQ (R8)(R10*2), R11; \
	ADDQ R10, R11

// Prefetch the C tile (two lines per row: it may straddle them).
#define PREFC \
	PREFETCHT0 (R8); \
	PREFETCHT0 60(R8); \
	PREFETCHT0 (R8)(R10*1); \
	PREFETCHT0 60(R8)(R10*1); \
	PREFETCHT0 (R8)(R10*2); \
	PREFETCHT0 60(R8)(R10*2); \
	PREFETCHT0 (R11); \
	PREFETCHT0 60(R11); \
	PREFETCHT0 (R11)(R10*1); \
	PREFETCHT0 60(R11)(R10*1); \
	PREFETCHT0 (R11)(R10*2); \
	PREFETCHT0 60(R11)(R10*2)

// acc·alpha (+ beta·C) for one row pair, M is PS or PD.
#define SCALE(op, a0, a1) \
	op Y14, a0, a0; \
	op Y14, a1, a1

#define STORE(mov, a0, a1, addr, addr32) \
	mov a0, addr; \
	mov a1, addr32

// func sgemmKernAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32, load bool)
TEXT ·sgemmKernAVX2(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	ROWS(2)
	PREFC
	ZEROACC
	MOVQ CX, DX
	SHRQ $2, DX
	JZ   stail

sloop4:
	SSTEP(0, 0)
	SSTEP(24, 64)
	SSTEP(48, 128)
	SSTEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ DX
	JNZ  sloop4

stail:
	ANDQ $3, CX
	JZ   sdone

sloop1:
	SSTEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  sloop1

sdone:
	VBROADCASTSS alpha+40(FP), Y14
	SCALE(VMULPS, Y0, Y1)
	SCALE(VMULPS, Y2, Y3)
	SCALE(VMULPS, Y4, Y5)
	SCALE(VMULPS, Y6, Y7)
	SCALE(VMULPS, Y8, Y9)
	SCALE(VMULPS, Y10, Y11)
	MOVBQZX load+48(FP), DX
	TESTQ DX, DX
	JZ    sstore
	VBROADCASTSS beta+44(FP), Y15
	VFMADD231PS (R8), Y15, Y0
	VFMADD231PS 32(R8), Y15, Y1
	VFMADD231PS (R8)(R10*1), Y15, Y2
	VFMADD231PS 32(R8)(R10*1), Y15, Y3
	VFMADD231PS (R8)(R10*2), Y15, Y4
	VFMADD231PS 32(R8)(R10*2), Y15, Y5
	VFMADD231PS (R11), Y15, Y6
	VFMADD231PS 32(R11), Y15, Y7
	VFMADD231PS (R11)(R10*1), Y15, Y8
	VFMADD231PS 32(R11)(R10*1), Y15, Y9
	VFMADD231PS (R11)(R10*2), Y15, Y10
	VFMADD231PS 32(R11)(R10*2), Y15, Y11

sstore:
	STORE(VMOVUPS, Y0, Y1, (R8), 32(R8))
	STORE(VMOVUPS, Y2, Y3, (R8)(R10*1), 32(R8)(R10*1))
	STORE(VMOVUPS, Y4, Y5, (R8)(R10*2), 32(R8)(R10*2))
	STORE(VMOVUPS, Y6, Y7, (R11), 32(R11))
	STORE(VMOVUPS, Y8, Y9, (R11)(R10*1), 32(R11)(R10*1))
	STORE(VMOVUPS, Y10, Y11, (R11)(R10*2), 32(R11)(R10*2))
	VZEROUPPER
	RET

// func dgemmKernAVX2(k int, a, b, c *float64, ldc int, alpha, beta float64, load bool)
TEXT ·dgemmKernAVX2(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	ROWS(3)
	PREFC
	ZEROACC
	MOVQ CX, DX
	SHRQ $2, DX
	JZ   dtail

dloop4:
	DSTEP(0, 0)
	DSTEP(48, 64)
	DSTEP(96, 128)
	DSTEP(144, 192)
	ADDQ $192, AX
	ADDQ $256, BX
	DECQ DX
	JNZ  dloop4

dtail:
	ANDQ $3, CX
	JZ   ddone

dloop1:
	DSTEP(0, 0)
	ADDQ $48, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  dloop1

ddone:
	VBROADCASTSD alpha+40(FP), Y14
	SCALE(VMULPD, Y0, Y1)
	SCALE(VMULPD, Y2, Y3)
	SCALE(VMULPD, Y4, Y5)
	SCALE(VMULPD, Y6, Y7)
	SCALE(VMULPD, Y8, Y9)
	SCALE(VMULPD, Y10, Y11)
	MOVBQZX load+56(FP), DX
	TESTQ DX, DX
	JZ    dstore
	VBROADCASTSD beta+48(FP), Y15
	VFMADD231PD (R8), Y15, Y0
	VFMADD231PD 32(R8), Y15, Y1
	VFMADD231PD (R8)(R10*1), Y15, Y2
	VFMADD231PD 32(R8)(R10*1), Y15, Y3
	VFMADD231PD (R8)(R10*2), Y15, Y4
	VFMADD231PD 32(R8)(R10*2), Y15, Y5
	VFMADD231PD (R11), Y15, Y6
	VFMADD231PD 32(R11), Y15, Y7
	VFMADD231PD (R11)(R10*1), Y15, Y8
	VFMADD231PD 32(R11)(R10*1), Y15, Y9
	VFMADD231PD (R11)(R10*2), Y15, Y10
	VFMADD231PD 32(R11)(R10*2), Y15, Y11

dstore:
	STORE(VMOVUPD, Y0, Y1, (R8), 32(R8))
	STORE(VMOVUPD, Y2, Y3, (R8)(R10*1), 32(R8)(R10*1))
	STORE(VMOVUPD, Y4, Y5, (R8)(R10*2), 32(R8)(R10*2))
	STORE(VMOVUPD, Y6, Y7, (R11), 32(R11))
	STORE(VMOVUPD, Y8, Y9, (R11)(R10*1), 32(R11)(R10*1))
	STORE(VMOVUPD, Y10, Y11, (R11)(R10*2), 32(R11)(R10*2))
	VZEROUPPER
	RET
