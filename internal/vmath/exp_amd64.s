//go:build amd64

#include "textflag.h"

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

// expconst<>: 32-byte rows of one broadcast float32 constant each.
#define LO    expconst<>+0(SB)
#define HI    expconst<>+32(SB)
#define MAGIC expconst<>+64(SB)
#define ONE   expconst<>+96(SB)
#define LOG2E expconst<>+128(SB)
#define LN2HI expconst<>+160(SB)
#define LN2LO expconst<>+192(SB)
#define C0    expconst<>+224(SB)
#define C1    expconst<>+256(SB)
#define C2    expconst<>+288(SB)
#define C3    expconst<>+320(SB)
#define C4    expconst<>+352(SB)
#define C5    expconst<>+384(SB)

DATA expconst<>+0(SB)/4, $0xc2dc0000
DATA expconst<>+4(SB)/4, $0xc2dc0000
DATA expconst<>+8(SB)/4, $0xc2dc0000
DATA expconst<>+12(SB)/4, $0xc2dc0000
DATA expconst<>+16(SB)/4, $0xc2dc0000
DATA expconst<>+20(SB)/4, $0xc2dc0000
DATA expconst<>+24(SB)/4, $0xc2dc0000
DATA expconst<>+28(SB)/4, $0xc2dc0000
DATA expconst<>+32(SB)/4, $0x42b40000
DATA expconst<>+36(SB)/4, $0x42b40000
DATA expconst<>+40(SB)/4, $0x42b40000
DATA expconst<>+44(SB)/4, $0x42b40000
DATA expconst<>+48(SB)/4, $0x42b40000
DATA expconst<>+52(SB)/4, $0x42b40000
DATA expconst<>+56(SB)/4, $0x42b40000
DATA expconst<>+60(SB)/4, $0x42b40000
DATA expconst<>+64(SB)/4, $0x4b400000
DATA expconst<>+68(SB)/4, $0x4b400000
DATA expconst<>+72(SB)/4, $0x4b400000
DATA expconst<>+76(SB)/4, $0x4b400000
DATA expconst<>+80(SB)/4, $0x4b400000
DATA expconst<>+84(SB)/4, $0x4b400000
DATA expconst<>+88(SB)/4, $0x4b400000
DATA expconst<>+92(SB)/4, $0x4b400000
DATA expconst<>+96(SB)/4, $0x3f800000
DATA expconst<>+100(SB)/4, $0x3f800000
DATA expconst<>+104(SB)/4, $0x3f800000
DATA expconst<>+108(SB)/4, $0x3f800000
DATA expconst<>+112(SB)/4, $0x3f800000
DATA expconst<>+116(SB)/4, $0x3f800000
DATA expconst<>+120(SB)/4, $0x3f800000
DATA expconst<>+124(SB)/4, $0x3f800000
DATA expconst<>+128(SB)/4, $0x3fb8aa3b
DATA expconst<>+132(SB)/4, $0x3fb8aa3b
DATA expconst<>+136(SB)/4, $0x3fb8aa3b
DATA expconst<>+140(SB)/4, $0x3fb8aa3b
DATA expconst<>+144(SB)/4, $0x3fb8aa3b
DATA expconst<>+148(SB)/4, $0x3fb8aa3b
DATA expconst<>+152(SB)/4, $0x3fb8aa3b
DATA expconst<>+156(SB)/4, $0x3fb8aa3b
DATA expconst<>+160(SB)/4, $0x3f318000
DATA expconst<>+164(SB)/4, $0x3f318000
DATA expconst<>+168(SB)/4, $0x3f318000
DATA expconst<>+172(SB)/4, $0x3f318000
DATA expconst<>+176(SB)/4, $0x3f318000
DATA expconst<>+180(SB)/4, $0x3f318000
DATA expconst<>+184(SB)/4, $0x3f318000
DATA expconst<>+188(SB)/4, $0x3f318000
DATA expconst<>+192(SB)/4, $0xb95e8083
DATA expconst<>+196(SB)/4, $0xb95e8083
DATA expconst<>+200(SB)/4, $0xb95e8083
DATA expconst<>+204(SB)/4, $0xb95e8083
DATA expconst<>+208(SB)/4, $0xb95e8083
DATA expconst<>+212(SB)/4, $0xb95e8083
DATA expconst<>+216(SB)/4, $0xb95e8083
DATA expconst<>+220(SB)/4, $0xb95e8083
DATA expconst<>+224(SB)/4, $0x39506967
DATA expconst<>+228(SB)/4, $0x39506967
DATA expconst<>+232(SB)/4, $0x39506967
DATA expconst<>+236(SB)/4, $0x39506967
DATA expconst<>+240(SB)/4, $0x39506967
DATA expconst<>+244(SB)/4, $0x39506967
DATA expconst<>+248(SB)/4, $0x39506967
DATA expconst<>+252(SB)/4, $0x39506967
DATA expconst<>+256(SB)/4, $0x3ab743ce
DATA expconst<>+260(SB)/4, $0x3ab743ce
DATA expconst<>+264(SB)/4, $0x3ab743ce
DATA expconst<>+268(SB)/4, $0x3ab743ce
DATA expconst<>+272(SB)/4, $0x3ab743ce
DATA expconst<>+276(SB)/4, $0x3ab743ce
DATA expconst<>+280(SB)/4, $0x3ab743ce
DATA expconst<>+284(SB)/4, $0x3ab743ce
DATA expconst<>+288(SB)/4, $0x3c088908
DATA expconst<>+292(SB)/4, $0x3c088908
DATA expconst<>+296(SB)/4, $0x3c088908
DATA expconst<>+300(SB)/4, $0x3c088908
DATA expconst<>+304(SB)/4, $0x3c088908
DATA expconst<>+308(SB)/4, $0x3c088908
DATA expconst<>+312(SB)/4, $0x3c088908
DATA expconst<>+316(SB)/4, $0x3c088908
DATA expconst<>+320(SB)/4, $0x3d2aa9c1
DATA expconst<>+324(SB)/4, $0x3d2aa9c1
DATA expconst<>+328(SB)/4, $0x3d2aa9c1
DATA expconst<>+332(SB)/4, $0x3d2aa9c1
DATA expconst<>+336(SB)/4, $0x3d2aa9c1
DATA expconst<>+340(SB)/4, $0x3d2aa9c1
DATA expconst<>+344(SB)/4, $0x3d2aa9c1
DATA expconst<>+348(SB)/4, $0x3d2aa9c1
DATA expconst<>+352(SB)/4, $0x3e2aaaaa
DATA expconst<>+356(SB)/4, $0x3e2aaaaa
DATA expconst<>+360(SB)/4, $0x3e2aaaaa
DATA expconst<>+364(SB)/4, $0x3e2aaaaa
DATA expconst<>+368(SB)/4, $0x3e2aaaaa
DATA expconst<>+372(SB)/4, $0x3e2aaaaa
DATA expconst<>+376(SB)/4, $0x3e2aaaaa
DATA expconst<>+380(SB)/4, $0x3e2aaaaa
DATA expconst<>+384(SB)/4, $0x3f000000
DATA expconst<>+388(SB)/4, $0x3f000000
DATA expconst<>+392(SB)/4, $0x3f000000
DATA expconst<>+396(SB)/4, $0x3f000000
DATA expconst<>+400(SB)/4, $0x3f000000
DATA expconst<>+404(SB)/4, $0x3f000000
DATA expconst<>+408(SB)/4, $0x3f000000
DATA expconst<>+412(SB)/4, $0x3f000000
GLOBL expconst<>(SB), RODATA|NOPTR, $416

// Y15 = -110 and Y14 = 90 (the clamp) stay in registers; the kernels pass
// the other constants used more than once as registers or as the memory
// rows above, depending on which registers they have free.
//
// EXP8 leaves e^X in P, clobbering X, T, Q and B. MAG is 1.5·2^23 (as an
// int32 its bits are 0x4B400000), ONE is 1.0 (as an int32 127<<23), L2E is
// log2(e). Go operand order: sources first, destination last. VMAXPS and
// VMINPS return their first Go operand when either is NaN, so a NaN in X
// survives the clamp and propagates to the result. The polynomial is
// evaluated by Estrin's scheme, P = (c0·r+c1)·r⁴ + (c2·r+c3)·r² + c4·r+c5,
// whose dependency chain is 3 FMAs shorter than Horner's.
#define EXP8(X, T, P, Q, B, MAG, ONE_, L2E) \
	VMAXPS X, Y15, X; \
	VMINPS X, Y14, X; \
	VMOVUPS MAG, T; \
	VFMADD231PS L2E, X, T; \
	VSUBPS MAG, T, P; \
	VFNMADD231PS LN2HI, P, X; \
	VFNMADD231PS LN2LO, P, X; \
	VMULPS X, X, Q; \
	VMOVUPS C0, P; \
	VFMADD213PS C1, X, P; \
	VMOVUPS C2, B; \
	VFMADD213PS C3, X, B; \
	VFMADD213PS B, Q, P; \
	VMOVUPS C4, B; \
	VFMADD213PS C5, X, B; \
	VFMADD213PS B, Q, P; \
	VFMADD213PS X, Q, P; \
	VPSUBD MAG, T, T; \
	VPSRAD $1, T, Q; \
	VPSUBD Q, T, T; \
	VPSLLD $23, Q, Q; \
	VPSLLD $23, T, T; \
	VPADDD ONE_, Q, Q; \
	VPADDD ONE_, T, T; \
	VFMADD213PS Q, Q, P; \
	VMULPS T, P, P

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
