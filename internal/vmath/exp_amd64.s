//go:build amd64

#include "textflag.h"
#include "consts_amd64.h"
#include "trans_amd64.h"

// AVX2+FMA kernels for exp.go: e^x for 8 float32 lanes at a time (two
// vectors per loop iteration), by the same range reduction and Cephes
// polynomial as Exp32:
//
//	x  = clamp(x, -110, 90)              (NaN passes through)
//	t  = x·log2e + 1.5·2^23              (n = round(x·log2e) in t's low bits)
//	n  = t - 1.5·2^23
//	r  = x - n·ln2hi - n·ln2lo           (FMA; exact first step)
//	y  = P(r)·r² + r                     (Estrin, FMA)
//	s1 = 2^(n>>1), s2 = 2^(n-(n>>1))     (integer adds into exponent bits)
//	e^x = (y·s1 + s1)·s2                 (= (1 + r + P·r²)·2^n)
//
// Scaling by two powers of two, each a normal number for -159 ≤ n ≤ 130,
// makes the results that overflow (+Inf) or underflow (0, or a subnormal
// rounded once, in the last multiply) come out right without a scalar
// fix-up; the clamp sends -Inf and x < -110 to 0, +Inf and x > 90 to +Inf.
// The kernels process n elements, n a multiple of 8; exp_amd64.go does
// the tails.

// Constant rows of ·consts (consts_amd64.s) under the names used here.
#define LO    K_EXPLO
#define HI    K_EXPHI
#define MAGIC K_MAGIC
#define ONE   K_ONE
#define LOG2E K_LOG2E

// Y15 = -110 and Y14 = 90 (the clamp) stay in registers for EXP8
// (trans_amd64.h); the kernels pass the other constants used more than once
// as registers or as memory rows, depending on which registers they have
// free.

// func expAVX2(dst, src *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS LO, Y15
	VMOVUPS HI, Y14
	VMOVUPS MAGIC, Y13
	VMOVUPS ONE, Y12
	VMOVUPS LOG2E, Y11
	CMPQ CX, $16
	JB   exp8

exp16:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y5
	EXP8(Y0, Y1, Y2, Y3, Y4, Y13, Y12, Y11)
	EXP8(Y5, Y6, Y7, Y8, Y9, Y13, Y12, Y11)
	VMOVUPS Y2, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JAE  exp16

exp8:
	CMPQ CX, $8
	JB   expdone
	VMOVUPS (SI), Y0
	EXP8(Y0, Y1, Y2, Y3, Y4, Y13, Y12, Y11)
	VMOVUPS Y2, (DI)

expdone:
	VZEROUPPER
	RET

// func expShiftSumAVX2(dst, src *float32, n int, shift float32) float32
TEXT ·expShiftSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y13
	VMOVUPS LO, Y15
	VMOVUPS HI, Y14
	VMOVUPS MAGIC, Y11
	VMOVUPS LOG2E, Y10
	VXORPS Y12, Y12, Y12
	CMPQ CX, $16
	JB   ess8

ess16:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y5
	VSUBPS Y13, Y0, Y0
	VSUBPS Y13, Y5, Y5
	EXP8(Y0, Y1, Y2, Y3, Y4, Y11, ONE, Y10)
	EXP8(Y5, Y6, Y7, Y8, Y9, Y11, ONE, Y10)
	VMOVUPS Y2, (DI)
	VMOVUPS Y7, 32(DI)
	VADDPS Y2, Y12, Y12
	VADDPS Y7, Y12, Y12
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JAE  ess16

ess8:
	CMPQ CX, $8
	JB   essdone
	VMOVUPS (SI), Y0
	VSUBPS Y13, Y0, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4, Y11, ONE, Y10)
	VMOVUPS Y2, (DI)
	VADDPS Y2, Y12, Y12

essdone:
	VEXTRACTF128 $1, Y12, X11
	VADDPS X11, X12, X12
	VMOVHLPS X12, X12, X11
	VADDPS X11, X12, X12
	VMOVSHDUP X12, X11
	VADDSS X11, X12, X12
	VMOVSS X12, ret+32(FP)
	VZEROUPPER
	RET

// func scaleAVX2(dst *float32, n int, c float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS c+16(FP), Y0
	CMPQ CX, $32
	JB   sc8

sc32:
	VMULPS (DI), Y0, Y1
	VMULPS 32(DI), Y0, Y2
	VMULPS 64(DI), Y0, Y3
	VMULPS 96(DI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JAE  sc32

sc8:
	CMPQ CX, $8
	JB   scdone
	VMULPS (DI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sc8

scdone:
	VZEROUPPER
	RET

// func maxAVX2(src *float32, n int) float32
// n is a multiple of 8 and at least 8. NaNs may be ignored: softmax, the
// caller, turns a NaN row into NaNs through its sum.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    src+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ    $32, SI
	SUBQ    $8, CX

maxloop:
	CMPQ    CX, $0
	JE      maxdone
	VMAXPS  (SI), Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     maxloop

maxdone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xB1, X0, X1
	VMAXPS       X1, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+16(FP)
	RET
