package vmath

import "math"

// Cephes' logf and tanhf polynomials, as in consts_amd64.s.
const (
	sqrtHalfBits = 0x3f3504f3 // bits of √½ rounded to float32
	logP0        = 7.0376836292e-2
	logP1        = -1.1514610310e-1
	logP2        = 1.1676998740e-1
	logP3        = -1.2420140846e-1
	logP4        = 1.4249322787e-1
	logP5        = -1.6668057665e-1
	logP6        = 2.0000714765e-1
	logP7        = -2.4999993993e-1
	logP8        = 3.3333331174e-1

	tanhSmall = 0.625 // below it the polynomial, above it exp
	tanhP0    = -5.70498872745e-3
	tanhP1    = 2.06390887954e-2
	tanhP2    = -5.37397155531e-2
	tanhP3    = 1.33314422036e-1
	tanhP4    = -3.33332819422e-1
)

// Log32s writes log(x[i]) to dst[i]; dst and x must have the same length
// and dst may be x. Every result is within 1 ulp of float32(math.Log(x))
// (all 2^32 inputs checked, both paths), subnormal x included; log(+Inf) =
// +Inf, log(±0) = -Inf, log(x < 0) = NaN, log(NaN) = NaN.
func Log32s(dst, x []float32) {
	n := same2(dst, x)
	if useAVX2 {
		log32AVX2(ptr(dst), ptr(x), n)
		return
	}
	for i, v := range x[:n] {
		dst[i] = Log32(v)
	}
}

// Log32 is the natural logarithm in float32 by the method of the AVX2
// kernel: x = m·2^e with √½ ≤ m < √2, f = m-1 (exact), and
// log x = (f + (f²·(f·P(f) - ½) + e·ln2lo)) + e·ln2hi, the large term e·ln2hi
// (exact) added last.
func Log32(x float32) float32 {
	var adj int32
	if !(x >= 0x1p-126 && x <= math.MaxFloat32) {
		switch {
		case x > 0 && x < 0x1p-126: // subnormal: scale into the normal range
			x *= 0x1p23
			adj = 23
		case x == 0:
			return float32(math.Inf(-1))
		case x > 0: // +Inf
			return x
		default: // x < 0, NaN
			return float32(math.NaN())
		}
	}
	b := int32(math.Float32bits(x))
	k := (b - sqrtHalfBits) >> 23
	f := math.Float32frombits(uint32(b-k<<23)) - 1
	e := float32(k - adj)
	p := ((((((((logP0*f+logP1)*f+logP2)*f+logP3)*f+logP4)*f+logP5)*f+logP6)*f+logP7)*f + logP8)
	y := (f*p-0.5)*f*f + e*ln2Lo
	return (f + y) + e*ln2Hi
}

// Tanh32s writes tanh(x[i]) to dst[i]; dst and x must have the same length
// and dst may be x. Every result is within 1 ulp of float32(math.Tanh(x))
// (all 2^32 inputs checked, both paths), with tanh(±0) = ±0, tanh(x) = x
// for tiny x, tanh(±Inf) = ±1 and NaN for NaN.
func Tanh32s(dst, x []float32) {
	n := same2(dst, x)
	if useAVX2 {
		tanh32AVX2(ptr(dst), ptr(x), n)
		return
	}
	tanh32sGo(dst, x)
}

// Tanh32 is tanh in float32 by the method of the kernels: with a = |x|,
// a + a·a²·P(a²) below 0.625 (Cephes' tanhf), 1 - 2/(e^2a + 1) above, and
// the sign of x copied onto the result.
func Tanh32(x float32) float32 {
	d := [1]float32{x}
	tanh32sGo(d[:], d[:])
	return d[0]
}

// tanhOne is where tanh rounds to 1 for good (from 9.01 on).
const tanhOne = 10

func tanh32sGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		b := math.Float32bits(v)
		a := math.Float32frombits(b &^ (1 << 31))
		var t float32
		switch {
		case a < tanhSmall:
			z := a * a
			p := (((tanhP0*z+tanhP1)*z+tanhP2)*z+tanhP3)*z + tanhP4
			t = a + a*(p*z)
		case a < tanhOne:
			r, s := expArg(a + a)
			t = 1 - 2/(expPoly(r)*s+1)
		case a == a: // +Inf too
			t = 1
		default: // NaN
			t = a
		}
		dst[i] = math.Float32frombits(math.Float32bits(t) | b&(1<<31))
	}
}

// Sigmoid32s writes 1/(1+e^-x[i]) to dst[i]; dst and x must have the same
// length and dst may be x. Every result is within 2 ulp of the float64
// logistic function rounded to float32 (all 2^32 inputs checked: 1 ulp on
// the Go path, and on the AVX2 path 1 ulp but for two inputs near -16.97
// where exp's own last-bit error shows), with no overflow anywhere:
// σ(+Inf) = 1, σ(-Inf) = 0, and for x < -87.3 the (subnormal) value e^x.
func Sigmoid32s(dst, x []float32) {
	n := same2(dst, x)
	if useAVX2 {
		sigmoid32AVX2(ptr(dst), ptr(x), n)
		return
	}
	sigmoid32sGo(dst, x)
}

// Sigmoid32 is the logistic function in float32: with e = e^-|x| ≤ 1 (no
// overflow), 1/(1+e) for x ≥ 0 and e/(1+e) for x < 0, the quotient in
// float64 in the Go path so that only e and the last rounding add error.
func Sigmoid32(x float32) float32 {
	d := [1]float32{x}
	sigmoid32sGo(d[:], d[:])
	return d[0]
}

func sigmoid32sGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		na := math.Float32frombits(math.Float32bits(v) | 1<<31) // -|v|
		var e float64
		if na > expMin {
			r, s := expArg(na)
			e = float64(expPoly(r) * s)
		} else { // subnormal or zero results, -Inf, NaN
			e = float64(float32(math.Exp(float64(na))))
		}
		if v < 0 {
			dst[i] = float32(e / (1 + e))
		} else {
			dst[i] = float32(1 / (1 + e))
		}
	}
}

// ExpAffine32s writes e^(a·x[i]+b) to dst[i], the argument a·x[i]+b
// rounded once (a fused multiply-add, as in Affine32s): each result equals
// Exp32s of the Affine32s result, within 1 ulp of its exact exponential.
// dst and x must have the same length and dst may be x.
func ExpAffine32s(dst, x []float32, a, b float32) {
	n := same2(dst, x)
	if useAVX2 {
		expAffine32AVX2(ptr(dst), ptr(x), n, a, b)
		return
	}
	affineGo(dst, x, a, b)
	exp32sGo(dst, dst)
}

// The float64 versions round math's results; they have no assembly.

// Exp64s writes math.Exp(x[i]) to dst[i].
func Exp64s(dst, x []float64) {
	same2(dst, x)
	for i, v := range x {
		dst[i] = math.Exp(v)
	}
}

// Log64s writes math.Log(x[i]) to dst[i].
func Log64s(dst, x []float64) {
	same2(dst, x)
	for i, v := range x {
		dst[i] = math.Log(v)
	}
}

// Tanh64s writes math.Tanh(x[i]) to dst[i].
func Tanh64s(dst, x []float64) {
	same2(dst, x)
	for i, v := range x {
		dst[i] = math.Tanh(v)
	}
}

// Sigmoid64s writes 1/(1+e^-x[i]) to dst[i], as Sigmoid32 does it (no
// overflow: e^x/(1+e^x) for x < 0).
func Sigmoid64s(dst, x []float64) {
	same2(dst, x)
	for i, v := range x {
		e := math.Exp(-math.Abs(v))
		if v < 0 {
			dst[i] = e / (1 + e)
		} else {
			dst[i] = 1 / (1 + e)
		}
	}
}
