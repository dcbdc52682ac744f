package vmath

// Sum32 is the sum of x. The AVX2 path adds in float32 with the blocked,
// pairwise order described in reduce_amd64.s: each lane adds at most 8
// terms in a row and blocks of 256 combine as a balanced tree, so the error
// is at most about (14 + log2(n/256))·2^-24·Σ|x[i]|, close to pairwise
// summation's log2(n)·2^-24·Σ|x[i]|. The Go path adds in float64 (four
// running sums) and rounds once. Inf and NaN
// propagate as in any sum.
func Sum32(x []float32) float32 {
	if useAVX2 {
		return sum32AVX2(ptr(x), len(x))
	}
	// Four float64 accumulators: the adds overlap, and float64 makes the
	// order irrelevant at float32 precision.
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return float32((s0 + s1) + (s2 + s3))
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
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < n; i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return float32((s0 + s1) + (s2 + s3))
}
