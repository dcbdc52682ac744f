// Macros for the AVX2+FMA kernels of exp_amd64.s and trans_amd64.s, each
// on one vector of 8 float32. Go operand order: sources first, destination
// last; VFMADD213PS a, b, d computes b·d+a, VFMADD231PS a, b, d computes
// a·b+d; VBLENDVPS m, a, b, d sets d = m ? a : b lane by lane (by the sign
// bit of m). K_ names are constant rows of consts_amd64.h, read as memory
// operands where registers are short. VMAXPS and VMINPS return their first
// Go operand when either is NaN, so clamping x (first) against a constant
// register keeps a NaN.

// EXP8 leaves e^X in P, clobbering X, T, Q and B; Y15 must hold -110 and
// Y14 90 (the clamp). MAG is 1.5·2^23 (as an int32 its bits are
// 0x4B400000), ONE_ is 1.0 (as an int32 127<<23), L2E is log2(e), each a
// register or a K_ row. Cephes' expf method:
//
//	x  = clamp(x, -110, 90)              (NaN passes through)
//	t  = x·log2e + 1.5·2^23              (n = round(x·log2e) in t's low bits)
//	n  = t - 1.5·2^23
//	r  = x - n·ln2hi - n·ln2lo           (FMA; exact first step)
//	y  = P(r)·r² + r                     (e^r = 1 + y)
//	s1 = 2^(n>>1), s2 = 2^(n-(n>>1))     (integer adds into exponent bits)
//	e^x = (y·s1 + s1)·s2
//
// Scaling by two powers of two, each a normal number for -159 ≤ n ≤ 130,
// makes the results that overflow (+Inf) or underflow (0, or a subnormal
// rounded once, in the last multiply) come out right without a fix-up.
// The polynomial is evaluated by Estrin's scheme, P = (c0·r+c1)·r⁴ +
// (c2·r+c3)·r² + c4·r+c5, whose dependency chain is 3 FMAs shorter than
// Horner's.
#define EXP8(X, T, P, Q, B, MAG, ONE_, L2E) \
	VMAXPS X, Y15, X; \
	VMINPS X, Y14, X; \
	VMOVUPS MAG, T; \
	VFMADD231PS L2E, X, T; \
	VSUBPS MAG, T, P; \
	VFNMADD231PS K_LN2HI, P, X; \
	VFNMADD231PS K_LN2LO, P, X; \
	VMULPS X, X, Q; \
	VMOVUPS K_EXPC0, P; \
	VFMADD213PS K_EXPC1, X, P; \
	VMOVUPS K_EXPC2, B; \
	VFMADD213PS K_EXPC3, X, B; \
	VFMADD213PS B, Q, P; \
	VMOVUPS K_EXPC4, B; \
	VFMADD213PS K_EXPC5, X, B; \
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

// LOG8 leaves log(X) in P, keeping X; E, F, Z, T are clobbered; ZERO_,
// ONE_, SQRTHF_, NHALF_ hold 0, 1, the bits of √½ and -½. Cephes' logf:
//
//	x = m·2^e, √½ ≤ m < √2 (subnormal x first scaled by 2^23)
//	f = m - 1 (exact)
//	log x = (f + (f²·(f·P(f) - ½) + e·ln2lo)) + e·ln2hi
//
// then the special values: +Inf and NaN give themselves, x < 0 NaN, ±0 -Inf.
// m and e come from integer arithmetic on the bits: subtracting the bits of
// √½ makes the exponent field e exactly when m ≥ √½. P is evaluated as
// Horner's rule in f² on linear pieces, (((p0·f+p1)·f² + p2·f+p3)·f² + …),
// half the dependency chain of plain Horner.
#define LOG8(X, E, F, P, Z, T, ZERO_, ONE_, SQRTHF_, NHALF_) \
	VCMPPS      $1, K_MINNORM, X, E; \
	VMULPS      K_TWO23, X, F; \
	VBLENDVPS   E, F, X, F; \
	VANDPS      K_I23, E, E; \
	VPSUBD      SQRTHF_, F, P; \
	VPSRAD      $23, P, P; \
	VPSUBD      E, P, E; \
	VPSLLD      $23, P, P; \
	VPSUBD      P, F, F; \
	VSUBPS      ONE_, F, F; \
	VCVTDQ2PS   E, E; \
	VMULPS      F, F, Z; \
	VMOVUPS     K_LOGP0, P; \
	VFMADD213PS K_LOGP1, F, P; \
	VMOVUPS     K_LOGP2, T; \
	VFMADD213PS K_LOGP3, F, T; \
	VFMADD213PS T, Z, P; \
	VMOVUPS     K_LOGP4, T; \
	VFMADD213PS K_LOGP5, F, T; \
	VFMADD213PS T, Z, P; \
	VMOVUPS     K_LOGP6, T; \
	VFMADD213PS K_LOGP7, F, T; \
	VFMADD213PS T, Z, P; \
	VFMADD213PS K_LOGP8, F, P; \
	VFMADD213PS NHALF_, F, P; \
	VMULPS      Z, P, P; \
	VFMADD231PS K_LN2LO, E, P; \
	VADDPS      F, P, P; \
	VFMADD231PS K_LN2HI, E, P; \
	VCMPPS      $0x15, K_INF, X, E; \
	VBLENDVPS   E, X, P, P; \
	VCMPPS      $1, ZERO_, X, E; \
	VORPS       E, P, P; \
	VCMPPS      $0, ZERO_, X, E; \
	VBLENDVPS   E, K_NINF, P, P

// TANH8 leaves tanh(X) in P; X, A, S, T, Q, B are clobbered; Y15, Y14 as
// for EXP8. With a = |x|:
//
//	a < 0.625: tanh a = a + a·a²·P(a²)          (Cephes' tanhf)
//	otherwise: tanh a = 1 - 2/(e^2a + 1)       (1 for large a, e^2a = +Inf)
//
// and the sign of x put back, so tanh(-0) = -0 and NaN stays NaN.
#define TANH8(X, A, S, T, P, Q, B) \
	VANDPS      K_ABS, X, A; \
	VANDPS      K_SIGN, X, X; \
	VADDPS      A, A, S; \
	EXP8(S, T, P, Q, B, K_MAGIC, K_ONE, K_LOG2E); \
	VADDPS      K_ONE, P, T; \
	VMOVUPS     K_TWO, Q; \
	VDIVPS      T, Q, Q; \
	VMOVUPS     K_ONE, P; \
	VSUBPS      Q, P, P; \
	VMULPS      A, A, S; \
	VMOVUPS     K_TANHP0, Q; \
	VFMADD213PS K_TANHP1, S, Q; \
	VFMADD213PS K_TANHP2, S, Q; \
	VFMADD213PS K_TANHP3, S, Q; \
	VFMADD213PS K_TANHP4, S, Q; \
	VMULPS      S, Q, Q; \
	VFMADD213PS A, A, Q; \
	VCMPPS      $1, K_TANHT, A, S; \
	VBLENDVPS   S, Q, P, P; \
	VORPS       X, P, P

// SIGMOID8 leaves 1/(1+e^-X) in Q; X, V, T, P, B are clobbered; Y15, Y14
// as for EXP8, Y13 = 1.5·2^23 and Y12 = 1. With e = e^-|x| ≤ 1, which
// cannot overflow:
//
//	x ≥ 0: 1/(1+e)
//	x < 0: e/(1+e)                   (= e^x, subnormal for x < -87.3)
//
// Rounding 1+e and then the quotient could cost 1.5 ulp besides e's own
// error, so both are compensated: with d = 1+e rounded, err = (1-d)+e is
// exact; q = num/d rounded leaves the exact remainder num - q·d (an FMA),
// and q + (num - q·d - q·err)/d is num/(1+e) to well under an ulp. The
// correction is small, so 1/d from VRCPPS (12 bits) is plenty.
#define SIGMOID8(X, V, T, P, Q, B) \
	VMOVAPS      X, V; \
	VORPS        K_SIGN, X, X; \
	EXP8(X, T, P, Q, B, Y13, Y12, K_LOG2E); \
	VADDPS       Y12, P, T; \
	VSUBPS       T, Y12, X; \
	VADDPS       P, X, X; \
	VXORPS       K_SIGN, V, V; \
	VBLENDVPS    V, Y12, P, P; \
	VDIVPS       T, P, Q; \
	VMOVAPS      P, B; \
	VFNMADD231PS Q, T, B; \
	VFNMADD231PS Q, X, B; \
	VRCPPS       T, V; \
	VFMADD231PS  B, V, Q

// EXPAFF leaves e^(A·X+B) in P, the argument rounded once (an FMA): the
// same as Affine32s then Exp32s. Registers as in EXP8.
#define EXPAFF(X, T, P, Q, B, A_, B_, MAG, ONE_) \
	VFMADD213PS B_, A_, X; \
	EXP8(X, T, P, Q, B, MAG, ONE_, K_LOG2E)
