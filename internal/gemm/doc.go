// Package gemm is loom's matrix multiply: row-major C = alpha·op(A)·op(B) +
// beta·C in float32 and float64, single and strided-batched.
//
// Why it exists: every contraction the optimizer emits (MatMul, batched
// MatMul from vmap, attention) ends here, and GEMM dominates model run time.
//
// Two implementations, chosen per call:
//
//   - A BLIS-style pure-Go path that needs no cgo and no system library:
//     operands are packed into cache-sized panels (pack.go, pack_amd64.s) and
//     multiplied by assembly micro-kernels — AVX-512 6×64 float32 / 6×32
//     float64 (kernel512_amd64.s) or AVX2+FMA 6×16 / 6×8 (kernel_amd64.s) —
//     or by portable Go micro-kernels (kernel_generic.go) on CPUs without
//     AVX2/FMA and on other architectures. The level is picked at run time
//     from CPUID; Backend reports it.
//   - OpenBLAS through internal/blas when it loads, for the shapes where it
//     measured faster (preferBLAS in batch.go): large single GEMMs, and not
//     at all when our AVX-512 kernels face an OpenBLAS running older kernels.
//
// Matrix·vector products (m or n is 1: a batch of them is what a contraction
// like the essay's D[k,n] plans first) bypass packing: one pass over each
// matrix with AVX2 dot or axpy kernels (gemv.go, gemv_amd64.s), since a
// packed GEMM would pad the vector side to a full register tile.
//
// Parallelism uses internal/parallel's pool with dynamic hand-out (dynFor in
// par.go): a large GEMM packs the shared operand once with all workers, then
// the workers take strips of C; a batch of small GEMMs (attention) hands out
// whole GEMMs. OpenBLAS runs the same way, held to one thread per worker by
// blas.SingleThreaded, because its own threads spin after each call and
// halved the speed of the Go code that ran next.
//
// ForceGo pins the Go path (tests and benchmarks cover both paths in one run).
package gemm
