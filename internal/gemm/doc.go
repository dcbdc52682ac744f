// Package gemm is loom's matrix multiply: row-major C = alpha·op(A)·op(B) +
// beta·C in float32 and float64, single and strided-batched.
//
// Why it exists: every contraction the optimizer emits (MatMul, batched
// MatMul from vmap, attention) ends here, and GEMM dominates model run time.
// It dispatches to OpenBLAS when internal/blas could load it (fastest), and
// otherwise to a BLIS-style pure-Go implementation that needs no cgo and no
// system library: operands are packed into cache-sized panels (pack.go,
// driver.go) and multiplied by Go assembly AVX2+FMA micro-kernels (6×16
// float32, 6×8 float64; kernel_amd64.s), or by portable Go micro-kernels
// (kernel_generic.go) when the CPU lacks AVX2/FMA or is not amd64. The choice
// is made at run time; Backend reports it and ForceGo lets tests and
// benchmarks pin the Go path.
//
// Parallelism uses internal/parallel's fixed pool: a large GEMM is split into
// independent row (or column) strips of C, one per worker; a batch of small
// GEMMs is split across workers by batch element. With OpenBLAS, a batch of
// small GEMMs likewise runs one element per worker inside
// blas.SingleThreaded (OpenBLAS's own threads would otherwise contend with
// the pool); large GEMMs are handed to OpenBLAS one at a time and it threads
// them itself. The OpenBLAS thread count is restored afterwards.
package gemm
