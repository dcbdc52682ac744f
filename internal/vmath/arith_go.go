package vmath

import (
	"math"
	"unsafe"
)

//go:generate go run ./gen

// float is the element type of the Go paths of the elementwise ops.
type float interface{ ~float32 | ~float64 }

// ptr is the address of s's first element, or nil for a nil slice: the
// kernels read nothing when n is 0.
func ptr[T any](s []T) *T { return unsafe.SliceData(s) }

// The elementwise ops panic on slices of different lengths: the callers are
// kernels of this module, and a mismatch is a bug in them.
func same2[T any](dst, a []T) int {
	if len(dst) != len(a) {
		panic("vmath: slice lengths differ")
	}
	return len(dst)
}

func same3[T any](dst, a, b []T) int {
	if len(dst) != len(a) || len(dst) != len(b) {
		panic("vmath: slice lengths differ")
	}
	return len(dst)
}

func same4[T any](dst, a, b, c []T) int {
	if len(dst) != len(a) || len(dst) != len(b) || len(dst) != len(c) {
		panic("vmath: slice lengths differ")
	}
	return len(dst)
}

// The Go paths. Each reslices its inputs to len(dst) so the compiler drops
// the bounds checks; dst may be an input since every element is read
// before it is written.

func addGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func subGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func mulGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func divGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}

// The builtin max and min follow math.Max and math.Min for NaN and ±0.

func maxGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = max(a[i], b[i])
	}
}

func minGo[T float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = min(a[i], b[i])
	}
}

func addCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + c
	}
}

func subCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - c
	}
}

func rsubCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = c - a[i]
	}
}

func mulCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * c
	}
}

func divCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / c
	}
}

func rdivCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = c / a[i]
	}
}

func maxCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = max(a[i], c)
	}
}

func minCGo[T float](dst, a []T, c T) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = min(a[i], c)
	}
}

func negGo[T float](dst, x []T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = -x[i]
	}
}

func absGo[T float](dst, x []T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = T(math.Abs(float64(x[i])))
	}
}

func reluGo[T float](dst, x []T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = max(x[i], 0)
	}
}

// sqrtGo rounds the float64 root to T: for float32 that is the correctly
// rounded float32 root (float64 has more than 2·24+2 bits).
func sqrtGo[T float](dst, x []T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = T(math.Sqrt(float64(x[i])))
	}
}

func affineGo[T float](dst, x []T, a, b T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = fma(a, x[i], b)
	}
}

func fmaGo[T float](dst, a, b, c []T) {
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = fma(a[i], b[i], c[i])
	}
}

// fma is x·y+z rounded once to T.
func fma[T float](x, y, z T) T {
	if unsafe.Sizeof(x) == 4 {
		return T(fma32(float32(x), float32(y), float32(z)))
	}
	return T(math.FMA(float64(x), float64(y), float64(z)))
}

// fma32 is x·y+z rounded once to float32. float32(math.FMA(…)) would round
// twice, to float64 and then to float32, and can be wrong when the first
// rounding lands on a float32 halfway point (x·y = 1+2^-11+2^-24, z = 2^-80
// rounds to 1+2^-11 instead of up). So: the product is exact in float64
// (48 bits), the sum's rounding error comes from TwoSum, and an inexact sum
// is rounded to odd, which makes the final rounding to float32 correct
// (53 ≥ 24+2 bits).
func fma32(x, y, z float32) float32 {
	p := float64(x) * float64(y)
	zz := float64(z)
	s := p + zz
	if s-s != 0 { // Inf or NaN: the float64 result is the answer
		return float32(s)
	}
	bv := s - p
	e := (p - (s - bv)) + (zz - bv)
	if e != 0 {
		if b := math.Float64bits(s); b&1 == 0 {
			if (e > 0) == (s > 0) {
				b++ // away from zero, toward the exact sum
			} else {
				b--
			}
			s = math.Float64frombits(b)
		}
	}
	return float32(s)
}
