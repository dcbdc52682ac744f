//go:build amd64

package vmath

// The kernels of trans_amd64.s: n elements at dst and x, any n ≥ 0.

//go:noescape
func log32AVX2(dst, x *float32, n int)

//go:noescape
func tanh32AVX2(dst, x *float32, n int)

//go:noescape
func sigmoid32AVX2(dst, x *float32, n int)

//go:noescape
func expAffine32AVX2(dst, x *float32, n int, a, b float32)

// The reductions of reduce_amd64.s.

//go:noescape
func sum32AVX2(x *float32, n int) float32

//go:noescape
func dot32AVX2(a, b *float32, n int) float32
