//go:build amd64

#include "textflag.h"

// Reduction inner loops (reduce.go), AVX2.

// EXT32 folds 8 float32 at (SI) into Y0 with op, and ORs their NaN lanes
// into Y2 (VMAXPS/VMINPS drop a NaN operand, so NaNs are tracked apart).
#define EXT32(op) \
	VMOVUPS (SI), Y1; \
	op      Y1, Y0, Y0; \
	VCMPPS  $3, Y1, Y1, Y3; \
	VORPS   Y3, Y2, Y2

#define EXT64(op) \
	VMOVUPD (SI), Y1; \
	op      Y1, Y0, Y0; \
	VCMPPD  $3, Y1, Y1, Y3; \
	VORPD   Y3, Y2, Y2

// func ext32AVX2(x *float32, n int, isMin bool) (m float32, nan bool)
// The max (or min) of n float32, n a multiple of 8 and ≥ 8, ignoring NaNs,
// and whether there was one.
TEXT ·ext32AVX2(SB), NOSPLIT, $0-29
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVBLZX isMin+16(FP), DX
	VMOVUPS (SI), Y0
	VCMPPS  $3, Y0, Y0, Y2
	ADDQ    $32, SI
	SUBQ    $8, CX
	TESTQ   DX, DX
	JNZ     min32

max32:
	TESTQ CX, CX
	JZ    max32done
	EXT32(VMAXPS)
	ADDQ  $32, SI
	SUBQ  $8, CX
	JMP   max32

max32done:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xB1, X0, X1
	VMAXPS       X1, X0, X0
	JMP          done32

min32:
	TESTQ CX, CX
	JZ    min32done
	EXT32(VMINPS)
	ADDQ  $32, SI
	SUBQ  $8, CX
	JMP   min32

min32done:
	VEXTRACTF128 $1, Y0, X1
	VMINPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VMINPS       X1, X0, X0
	VPERMILPS    $0xB1, X0, X1
	VMINPS       X1, X0, X0

done32:
	VMOVMSKPS Y2, AX
	VZEROUPPER
	MOVSS     X0, m+24(FP)
	TESTL     AX, AX
	SETNE     nan+28(FP)
	RET

// func ext64AVX2(x *float64, n int, isMin bool) (m float64, nan bool)
// ext32AVX2 for float64; n a multiple of 4 and ≥ 4.
TEXT ·ext64AVX2(SB), NOSPLIT, $0-33
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVBLZX isMin+16(FP), DX
	VMOVUPD (SI), Y0
	VCMPPD  $3, Y0, Y0, Y2
	ADDQ    $32, SI
	SUBQ    $4, CX
	TESTQ   DX, DX
	JNZ     min64

max64:
	TESTQ CX, CX
	JZ    max64done
	EXT64(VMAXPD)
	ADDQ  $32, SI
	SUBQ  $4, CX
	JMP   max64

max64done:
	VEXTRACTF128 $1, Y0, X1
	VMAXPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VMAXPD       X1, X0, X0
	JMP          done64

min64:
	TESTQ CX, CX
	JZ    min64done
	EXT64(VMINPD)
	ADDQ  $32, SI
	SUBQ  $4, CX
	JMP   min64

min64done:
	VEXTRACTF128 $1, Y0, X1
	VMINPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VMINPD       X1, X0, X0

done64:
	VMOVMSKPD Y2, AX
	VZEROUPPER
	MOVSD     X0, m+24(FP)
	TESTL     AX, AX
	SETNE     nan+32(FP)
	RET

// func widenAdd4AVX2(a *float64, x0, x1, x2, x3 *float32, n int)
// a[j] = (((a[j] + x0[j]) + x1[j]) + x2[j]) + x3[j] in float64, for j < n,
// n a multiple of 4: the float64 sum of float32 rows, four rows a pass.
TEXT ·widenAdd4AVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), DI
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	MOVQ n+40(FP), CX
	XORQ AX, AX

w4loop:
	CMPQ      AX, CX
	JGE       w4done
	VMOVUPD   (DI)(AX*8), Y0
	VCVTPS2PD (R8)(AX*4), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R9)(AX*4), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R10)(AX*4), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R11)(AX*4), Y1
	VADDPD    Y1, Y0, Y0
	VMOVUPD   Y0, (DI)(AX*8)
	ADDQ      $4, AX
	JMP       w4loop

w4done:
	VZEROUPPER
	RET

// func widenAdd1AVX2(a *float64, x *float32, n int)
// a[j] += x[j] in float64 for j < n, n a multiple of 4.
TEXT ·widenAdd1AVX2(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), DI
	MOVQ x+8(FP), R8
	MOVQ n+16(FP), CX
	XORQ AX, AX

w1loop:
	CMPQ      AX, CX
	JGE       w1done
	VMOVUPD   (DI)(AX*8), Y0
	VCVTPS2PD (R8)(AX*4), Y1
	VADDPD    Y1, Y0, Y0
	VMOVUPD   Y0, (DI)(AX*8)
	ADDQ      $4, AX
	JMP       w1loop

w1done:
	VZEROUPPER
	RET

// func sum32AVX2(x *float32, n int) float64
// Σ x[j] for j < n in float64 (four 4-lane accumulators), n a multiple of
// 16 and ≥ 16.
TEXT ·sum32AVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

sloop:
	VCVTPS2PD (SI), Y4
	VADDPD    Y4, Y0, Y0
	VCVTPS2PD 16(SI), Y5
	VADDPD    Y5, Y1, Y1
	VCVTPS2PD 32(SI), Y6
	VADDPD    Y6, Y2, Y2
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX
	JNZ       sloop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+16(FP)
	RET
