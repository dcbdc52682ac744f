package vmath

import "math"

const (
	log2e = 1.44269504088896341
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
	// Past these, exp overflows float32 or leaves the range where 2^n is a
	// normal number (the slow path handles subnormal results exactly).
	expMax = 88.0
	expMin = -87.33654475

	magic     = 12582912 // 1.5·2^23
	magicBits = 0x4B400000

	// The Cephes minimax coefficients of (e^r - 1 - r)/r² on |r| ≤ ln2/2.
	expC0 = 1.9875691500e-4
	expC1 = 1.3981999507e-3
	expC2 = 8.3334519073e-3
	expC3 = 4.1665795894e-2
	expC4 = 1.6666665459e-1
	expC5 = 5.0000001201e-1
)

// Exp32 is e^x in float32.
func Exp32(x float32) float32 {
	if !(x > expMin && x < expMax) { // NaN, ±Inf and the extremes
		return float32(math.Exp(float64(x)))
	}
	// Round x·log2(e) to the nearest integer n: adding 1.5·2^23 leaves n in
	// the low mantissa bits (Go does not reassociate float arithmetic).
	t := x*log2e + magic
	n := t - magic
	r := x - n*ln2Hi - n*ln2Lo
	y := (((((expC0*r+expC1)*r+expC2)*r+expC3)*r+expC4)*r+expC5)*r*r + r + 1
	return y * math.Float32frombits(uint32(int32(math.Float32bits(t))-magicBits+127)<<23)
}

// Impl names the implementation the slice kernels use on this machine:
// "avx2" (Go assembly, AVX2+FMA) or "go" (portable Go).
func Impl() string {
	if useAVX2 {
		return "avx2"
	}
	return "go"
}

// ForceGo makes every kernel use the portable Go path (on) or the best
// path for this CPU (off again), so that the tests of a caller can cover
// both. It must not be called while kernels run in other goroutines.
func ForceGo(on bool) { useAVX2 = hasAVX2 && !on }

// Exp32s writes e^src[i] to dst[i]. It panics if len(dst) < len(src). dst
// and src may be the same slice but must not otherwise overlap.
//
// Every result is within 1 ulp of float32(math.Exp(float64(src[i]))), and
// exact for the special values: e^-Inf = 0, e^+Inf = +Inf, e^NaN = NaN,
// x < -103.972 gives 0, x > 88.7228 gives +Inf. Arguments whose result is
// subnormal (-103.97 < x < -87.34) get the subnormal within 1 ulp.
func Exp32s(dst, src []float32) {
	if useAVX2 {
		exp32sAVX2(dst, src)
		return
	}
	exp32sGo(dst, src)
}

// ExpShiftSum32 writes e^(src[i]-shift) to dst[i] and returns the sum of
// the values written: softmax's hot loop, with shift the row maximum. The
// difference src[i]-shift is rounded to float32 first, so each dst[i] equals
// Exp32s of it (within 1 ulp of the correctly rounded exp). It panics if
// len(dst) < len(src); dst and src may be the same slice but must not
// otherwise overlap.
//
// The AVX2 path adds the results in 8 float32 lanes over blocks of 512
// elements (64 terms a lane), reduces each block to one float32 and adds
// the block sums in float64. For nonnegative terms (which these are) the
// relative error of the sum is bounded by about 70·2^-24 ≈ 4e-6 and is
// typically below 1e-7. The Go path accumulates in float64. If any term is
// +Inf or NaN the sum is +Inf or NaN.
func ExpShiftSum32(dst, src []float32, shift float32) float32 {
	if useAVX2 {
		return expShiftSum32AVX2(dst, src, shift)
	}
	return expShiftSum32Go(dst, src, shift)
}

// Scale32s multiplies every dst[i] by c in place (softmax's normalize pass).
func Scale32s(dst []float32, c float32) {
	if useAVX2 {
		scale32sAVX2(dst, c)
		return
	}
	scale32sGo(dst, c)
}

func checkLen(dst, src []float32) {
	if len(dst) < len(src) {
		panic("vmath: len(dst) < len(src)")
	}
}

// exp32sGo is Exp32s in portable Go: Exp32 with the polynomial by Estrin's
// scheme (the CPU overlaps only a few elements, so a shorter dependency
// chain than Horner's is faster), inlined.
func exp32sGo(dst, src []float32) {
	checkLen(dst, src)
	dst = dst[:len(src)]
	for i, x := range src {
		if !(x > expMin && x < expMax) {
			dst[i] = float32(math.Exp(float64(x)))
			continue
		}
		r, s := expArg(x)
		dst[i] = expPoly(r) * s
	}
}

func expShiftSum32Go(dst, src []float32, shift float32) float32 {
	checkLen(dst, src)
	dst = dst[:len(src)]
	var s float64
	for i, v := range src {
		x := v - shift
		var e float32
		if !(x > expMin && x < expMax) {
			e = float32(math.Exp(float64(x)))
		} else {
			r, sc := expArg(x)
			e = expPoly(r) * sc
		}
		dst[i] = e
		s += float64(e)
	}
	return float32(s)
}

func scale32sGo(dst []float32, c float32) {
	for i := range dst {
		dst[i] *= c
	}
}

// expArg and expPoly are e^x = expPoly(r)·s with r, s = expArg(x) for
// expMin < x < expMax (no check): the method of Exp32 with the polynomial
// by Estrin's scheme, as two functions small enough to inline into the Go
// loops.
func expArg(x float32) (r, s float32) {
	t := x*log2e + magic
	n := t - magic
	return x - n*ln2Hi - n*ln2Lo, math.Float32frombits(uint32(int32(math.Float32bits(t))-magicBits+127) << 23)
}

func expPoly(r float32) float32 {
	r2 := r * r
	p := ((expC0*r+expC1)*r2+(expC2*r+expC3))*r2 + (expC4*r + expC5)
	return p*r2 + r + 1
}
