package gemm

import (
	"github.com/loomtensor/loom/internal/blas"
	"github.com/loomtensor/loom/internal/parallel"
)

// bigGemmFlops is where one GEMM parallelizes well internally (~256³):
// below it, splitting the batch across workers wins because each GEMM is too
// small to split without edge and hand-off losses.
const bigGemmFlops = 2 * 256 * 256 * 256

// goBelowFlops: GEMMs of at most this much work take the Go path even when
// OpenBLAS is loaded. Measured on 2 Zen cores (pairs of alternating runs,
// medians; see BenchmarkAttention and BenchmarkSmall): at 64³–256³ and for
// attention's 512×512×64 / 512×64×512 batches the Go path was 1.0–2× faster
// than OpenBLAS (whose beta=0 pass over C and per-call overhead dominate
// there); from 512³ up OpenBLAS is as fast or faster.
const goBelowFlops = 2 * 256 * 256 * 256

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
		parallel.For(batch, max(1, minBlockFlops/flops), func(lo, hi int) {
			w := getWork(cf, m, n, k)
			for i := lo; i < hi; i++ {
				cf.run(w, tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
			}
			putWork(w)
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

// blasBatch runs on OpenBLAS the same way goBatch runs on Go: on loom's
// worker pool, OpenBLAS held to one thread (blas.SingleThreaded), each worker
// calling it on whole batch elements or on strips of one GEMM. Measured on
// 2 cores this matches OpenBLAS's own threading on single GEMMs (1024³:
// 188 vs 190 GFLOP/s; 2048³: 195 vs 194), beats it 1.2–1.5× on attention
// batches, and — the deciding point — never wakes OpenBLAS's worker threads,
// which spin for ~0.1 s after each threaded call and halved the speed of
// the Go code that ran next (Sgemm 1024 on the Go path: 88 instead of 175
// GFLOP/s right after an OpenBLAS-threaded call).
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
			parallel.For(batch, max(1, minBlockFlops/flops), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					bf(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
				}
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
