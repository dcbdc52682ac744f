package gemm

import (
	"github.com/loomtensor/loom/internal/blas"
	"github.com/loomtensor/loom/internal/parallel"
)

// bigGemmFlops is where one GEMM parallelizes well internally (~256³):
// below it, splitting the batch across workers wins because each GEMM is too
// small to split without edge and hand-off losses.
const bigGemmFlops = 2 * 256 * 256 * 256

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
		grain := max(1, minBlockFlops/flops)
		parallel.For(batch, grain, func(lo, hi int) {
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

// blasSplit selects how a batch runs on OpenBLAS: false calls it once per
// element and lets OpenBLAS thread each call; true splits the batch across
// loom's workers with OpenBLAS held to one thread (blas.SingleThreaded).
// Set from overBatch; the benchmarks' openblas-loop/openblas-split variants
// measure both (see the numbers in doc.go).
var blasMode = blasAuto

const (
	blasAuto = iota
	blasLoop
	blasSplit
)

func blasBatch[T float32 | float64](bf blasFn[T], tA, tB bool, m, n, k int, alpha T,
	a []T, lda, sA int, b []T, ldb, sB int, beta T, c []T, ldc, sC int, batch int) {
	flops := 2 * m * n * k
	split := batch > 1 && overBatch(batch, flops)
	switch blasMode {
	case blasLoop:
		split = false
	case blasSplit:
		split = batch > 1 && parallel.Workers() > 1
	}
	if !split {
		for i := range batch {
			bf(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
		}
		return
	}
	blas.SingleThreaded(func() {
		parallel.For(batch, max(1, minBlockFlops/flops), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				bf(tA, tB, m, n, k, alpha, a[i*sA:], lda, b[i*sB:], ldb, beta, c[i*sC:], ldc)
			}
		})
	})
}
