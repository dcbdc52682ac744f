package gemm

import (
	"strings"
	"sync"

	"github.com/loomtensor/loom/internal/blas"
	"github.com/loomtensor/loom/internal/parallel"
)

// bigGemmFlops is where one GEMM parallelizes well internally (~256³):
// below it, splitting the batch across workers wins because each GEMM is too
// small to split without edge and hand-off losses.
const bigGemmFlops = 2 * 256 * 256 * 256

// preferBLAS says whether OpenBLAS (when loaded) should run a batch of
// GEMMs of this shape, rather than the Go path. Measured on 2 Zen cores, as
// medians of alternating runs (BenchmarkAttention, BenchmarkSgemm):
//   - Go AVX-512 kernels against an OpenBLAS running pre-AVX-512 kernels (a
//     build older than the CPU; 0.3.21 picks "Haswell" on Zen5): Go was
//     1.6–1.8× faster at every size, so OpenBLAS is not used at all.
//   - Otherwise, batches spread over the workers one GEMM each (overBatch):
//     the Go AVX2 path was 1.2–1.4× faster on attention's 512×512×64 and
//     512×64×512 (also with dk=128) and equal on 16 × 128³; OpenBLAS's
//     separate beta=0 pass over C and its per-call set-up cost it there.
//   - Single GEMMs up to 256³ (2·256³ flops): Go equal or faster.
//   - Larger single GEMMs: within ±10% either way against Go AVX2; OpenBLAS
//     keeps them.
func preferBLAS(m, n, k, batch int) bool {
	if level() == levelAVX512 && !blasWide() {
		return false
	}
	flops := 2 * m * n * k
	if batch > 1 && overBatch(batch, flops) {
		return false
	}
	return flops > 2*256*256*256
}

// blasWide reports whether OpenBLAS runs AVX-512 kernels on this CPU.
var blasWide = sync.OnceValue(func() bool {
	switch strings.ToLower(blas.CoreName()) {
	case "skylakex", "cooperlake", "sapphirerapids":
		return true
	}
	return false
})

// overBatch reports whether to run whole batch elements on separate workers
// rather than one element at a time split across them: yes when there are
// enough elements to keep every worker equally busy, or the elements are
// too small to split well.
func overBatch(batch, flops int) bool {
	W := parallel.Workers()
	if W == 1 || batch < W {
		return false
	}
	return batch%W == 0 || batch >= 4*W || flops < bigGemmFlops
}

func goBatch[T float32 | float64](cf *config[T], tA, tB bool, m, n, k int, alpha T,
	a []T, lda, sA int, b []T, ldb, sB int, beta T, c []T, ldc, sC int, batch int) {
	flops := 2 * m * n * k
	if batch > 1 && overBatch(batch, flops) {
		dynFor(batch, func(i int) {
			cf.seq(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
		})
		return
	}
	for i := range batch {
		cf.gemm(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
	}
}

// blasThreads (benchmarks only) makes blasBatch call OpenBLAS once per batch
// element with OpenBLAS's own threads, the alternative the default was
// measured against.
var blasThreads bool

// blasRowUnit keeps strip boundaries on OpenBLAS's register-tile multiples.
const blasRowUnit = 16

// blasBatch runs OpenBLAS the way goBatch runs Go: on loom's worker pool,
// OpenBLAS held to one thread (blas.SingleThreaded), each worker calling it
// on whole batch elements or on a strip of one GEMM. Measured on 2 cores
// (medians of 7): attention batches ran at 126/118 GFLOP/s this way against
// 90/79 calling OpenBLAS per element with its own threads. On back-to-back
// single GEMMs its own threads were faster (512³/1024³/2048³: 176/189/200
// against 120/156/188; two single-threaded OpenBLAS calls slow each other by
// ~35%), but those threads keep spinning for up to ~0.1 s after each call
// and meanwhile halve the speed of whatever Go code runs next (Sgemm 1024 on
// the Go path: 88 instead of 175 GFLOP/s) — in loom, always the next kernel.
func blasBatch[T float32 | float64](bf blasFn[T], tA, tB bool, m, n, k int, alpha T,
	a []T, lda, sA int, b []T, ldb, sB int, beta T, c []T, ldc, sC int, batch int) {
	if blasThreads {
		for i := range batch {
			bf(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
		}
		return
	}
	flops := 2 * m * n * k
	blas.SingleThreaded(func() {
		if batch > 1 && overBatch(batch, flops) {
			dynFor(batch, func(i int) {
				bf(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
			})
			return
		}
		for i := range batch {
			ai, bi, ci := a[i*sA:], b[i*sB:], c[i*sC:]
			split(m, n, k, blasRowUnit, blasRowUnit, func(i0, i1, j0, j1 int) {
				ao, bo, co := offsets(tA, tB, i0, j0, lda, ldb, ldc)
				bf(tA, tB, i1-i0, j1-j0, k, alpha, ai[ao:], lda, bi[bo:], ldb, beta, ci[co:], ldc)
			})
		}
	})
}
