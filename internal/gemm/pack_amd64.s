//go:build amd64

#include "textflag.h"

// func packA6AVX(kb int, a *float32, lda int, dst *float32)
//
// Interleaves six rows of A (row-major, not transposed) into the micro-kernel
// layout dst[p*6+r] = a[r*lda+p]. Four columns at a time: rows 0..3 go
// through a 4×4 transpose in xmm registers, rows 4..5 through one unpack,
// so each 24-float output run takes 8 stores instead of 24 scalar ones.
// Prefetching 512 bytes ahead on every row matters when A comes from DRAM
// (attention's W·V reads each 1 MiB W once): six short row streams are more
// than the hardware prefetcher ramps up on by itself.
TEXT ·packA6AVX(SB), NOSPLIT, $0-32
	MOVQ kb+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ dst+24(FP), DI
	SHLQ $2, DX
	LEAQ (SI)(DX*2), R8
	ADDQ DX, R8
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail

loop4:
	PREFETCHT0 512(SI)
	PREFETCHT0 512(SI)(DX*1)
	PREFETCHT0 512(SI)(DX*2)
	PREFETCHT0 512(R8)
	PREFETCHT0 512(R8)(DX*1)
	PREFETCHT0 512(R8)(DX*2)
	VMOVUPS (SI), X0
	VMOVUPS (SI)(DX*1), X1
	VMOVUPS (SI)(DX*2), X2
	VMOVUPS (R8), X3
	VMOVUPS (R8)(DX*1), X4
	VMOVUPS (R8)(DX*2), X5
	VUNPCKLPS X1, X0, X6  // a0 b0 a1 b1
	VUNPCKHPS X1, X0, X7  // a2 b2 a3 b3
	VUNPCKLPS X3, X2, X8  // c0 d0 c1 d1
	VUNPCKHPS X3, X2, X9  // c2 d2 c3 d3
	VUNPCKLPS X5, X4, X10 // e0 f0 e1 f1
	VUNPCKHPS X5, X4, X11 // e2 f2 e3 f3
	VMOVLHPS  X8, X6, X12 // a0 b0 c0 d0
	VMOVHLPS  X6, X8, X13 // a1 b1 c1 d1
	VMOVLHPS  X9, X7, X14 // a2 b2 c2 d2
	VMOVHLPS  X7, X9, X15 // a3 b3 c3 d3
	VMOVUPS   X12, 0(DI)
	VMOVLPS   X10, 16(DI)
	VMOVUPS   X13, 24(DI)
	VMOVHPS   X10, 40(DI)
	VMOVUPS   X14, 48(DI)
	VMOVLPS   X11, 64(DI)
	VMOVUPS   X15, 72(DI)
	VMOVHPS   X11, 88(DI)
	ADDQ      $16, SI
	ADDQ      $16, R8
	ADDQ      $96, DI
	DECQ      BX
	JNZ       loop4

tail:
	ANDQ $3, CX
	JZ   done

loop1:
	MOVL (SI), AX
	MOVL AX, 0(DI)
	MOVL (SI)(DX*1), AX
	MOVL AX, 4(DI)
	MOVL (SI)(DX*2), AX
	MOVL AX, 8(DI)
	MOVL (R8), AX
	MOVL AX, 12(DI)
	MOVL (R8)(DX*1), AX
	MOVL AX, 16(DI)
	MOVL (R8)(DX*2), AX
	MOVL AX, 20(DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $24, DI
	DECQ CX
	JNZ  loop1

done:
	RET

// func packRowsAVX(kb int, src unsafe.Pointer, stride int, dst unsafe.Pointer, rowBytes int)
//
// Copies kb rows of rowBytes (a multiple of 64: one B micro-panel row when B
// is not transposed), stride bytes apart, to consecutive rows of dst.
// Inlined vector moves: a memmove call per 64 bytes cost 4× more.
TEXT ·packRowsAVX(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ rowBytes+32(FP), R10
	TESTQ CX, CX
	JZ    rdone

rloop:
	MOVQ SI, R9
	MOVQ R10, R8

rinner:
	VMOVUPS (R9), Y0
	VMOVUPS 32(R9), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, R9
	ADDQ    $64, DI
	SUBQ    $64, R8
	JNZ     rinner
	ADDQ    DX, SI
	DECQ    CX
	JNZ     rloop
	VZEROUPPER

rdone:
	RET

// One group of four rows for packT16AVX: transposes a 4×8 block (rows at
// base, +ld, +2ld, +3ld; 8 columns p..p+7) into eight 4-float runs at
// dst + off + q·stride for column p+q (R13 = stride, R14 = 3·stride,
// R8 = DI + 4·stride).
#define T4x8(base, off) \
	VMOVUPS (base), Y0; \
	VMOVUPS (base)(DX*1), Y1; \
	VMOVUPS (base)(DX*2), Y2; \
	VMOVUPS (base)(R9*1), Y3; \
	VUNPCKLPS Y1, Y0, Y4; \
	VUNPCKHPS Y1, Y0, Y5; \
	VUNPCKLPS Y3, Y2, Y6; \
	VUNPCKHPS Y3, Y2, Y7; \
	VSHUFPS $0x44, Y6, Y4, Y8; \
	VSHUFPS $0xEE, Y6, Y4, Y9; \
	VSHUFPS $0x44, Y7, Y5, Y10; \
	VSHUFPS $0xEE, Y7, Y5, Y11; \
	VMOVUPS X8, off(DI); \
	VMOVUPS X9, off(DI)(R13*1); \
	VMOVUPS X10, off(DI)(R13*2); \
	VMOVUPS X11, off(DI)(R14*1); \
	VEXTRACTF128 $1, Y8, off(R8); \
	VEXTRACTF128 $1, Y9, off(R8)(R13*1); \
	VEXTRACTF128 $1, Y10, off(R8)(R13*2); \
	VEXTRACTF128 $1, Y11, off(R8)(R14*1)

// One column p of one group, for the kb%8 tail.
#define T4x1(base, off) \
	MOVL (base), AX; \
	MOVL AX, off(DI); \
	MOVL (base)(DX*1), AX; \
	MOVL AX, off+4(DI); \
	MOVL (base)(DX*2), AX; \
	MOVL AX, off+8(DI); \
	MOVL (base)(R9*1), AX; \
	MOVL AX, off+12(DI)

// func packT16AVX(kb int, b *float32, ldb int, dst *float32, stride int)
//
// Packs 16 columns of a B micro-panel when B is stored transposed (n×k): the
// columns are 16 rows of storage, interleaved as dst[p*stride+j] =
// b[j*ldb+p] (stride = the panel width, 16 or 64). Four 4×8 in-register
// transposes per 8 columns replace 128 scalar strided writes.
TEXT ·packT16AVX(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ stride+32(FP), R13
	SHLQ $2, DX
	SHLQ $2, R13
	LEAQ (DX)(DX*2), R9    // 3·ld
	LEAQ (R13)(R13*2), R14 // 3·stride
	LEAQ (SI)(DX*4), R10   // rows 4..7
	LEAQ (R10)(DX*4), R11  // rows 8..11
	LEAQ (R11)(DX*4), R12  // rows 12..15
	MOVQ CX, BX
	SHRQ $3, BX
	JZ   ttail

tloop8:
	LEAQ (DI)(R13*4), R8
	T4x8(SI, 0)
	T4x8(R10, 16)
	T4x8(R11, 32)
	T4x8(R12, 48)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	LEAQ (R8)(R13*4), DI
	DECQ BX
	JNZ  tloop8
	VZEROUPPER

ttail:
	ANDQ $7, CX
	JZ   tdone

tloop1:
	T4x1(SI, 0)
	T4x1(R10, 16)
	T4x1(R11, 32)
	T4x1(R12, 48)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ R13, DI
	DECQ CX
	JNZ  tloop1

tdone:
	RET
