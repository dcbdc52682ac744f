//go:build amd64

package gemm

// Matrix·vector kernels in gemv_amd64.s (AVX2+FMA); see gemv.go.

//go:noescape
func sdotRowsAVX2(rows, kv int, a *float32, lda int, x, y *float32)

//go:noescape
func ddotRowsAVX2(rows, kv int, a *float64, lda int, x, y *float64)

//go:noescape
func saxpyColsAVX2(k int, a *float32, lda int, x, y *float32, cols int)

//go:noescape
func daxpyColsAVX2(k int, a *float64, lda int, x, y *float64, cols int)
