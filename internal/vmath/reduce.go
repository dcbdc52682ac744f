package vmath

// Sum32 is the sum of x. The AVX2 path adds in float32 with the blocked,
// pairwise order described in reduce_amd64.s: each lane adds at most 8
// terms in a row and blocks of 256 combine as a balanced tree, so the error
// is at most about (14 + log2(n/256))·2^-24·Σ|x[i]|, close to pairwise
// summation's log2(n)·2^-24·Σ|x[i]|. The Go path adds in float64 and rounds once. Inf and NaN
// propagate as in any sum.
func Sum32(x []float32) float32 {
	if useAVX2 {
		return sum32AVX2(ptr(x), len(x))
	}
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}

// Dot32 is Σ a[i]·b[i] in the order of Sum32, each step a fused
// multiply-add (one rounding per term added). a and b must have the same
// length. The Go path forms the products exactly in float64 (a float32
// product has 48 bits), adds them in float64 and rounds once at the end.
func Dot32(a, b []float32) float32 {
	n := same2(a, b)
	if useAVX2 {
		return dot32AVX2(ptr(a), ptr(b), n)
	}
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return float32(s)
}
