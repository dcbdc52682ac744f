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
