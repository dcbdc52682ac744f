package gemm

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/loomtensor/loom/internal/blas"
)

var (
	forceGo   atomic.Bool  // ForceGo: skip OpenBLAS
	forceBLAS atomic.Bool  // tests: OpenBLAS even where preferBLAS says Go
	maxLevel  atomic.Int32 // tests: cap the kernel level (levelAVX512 = none)
)

func init() { maxLevel.Store(levelAVX512) }

// ForceGo makes every call use the pure-Go path even when OpenBLAS is
// loaded (true) or lets dispatch choose again (false). It returns the
// previous setting. Meant for tests and benchmarks that cover both paths.
func ForceGo(on bool) bool { return forceGo.Swap(on) }

// Backend names the implementation large GEMMs get now: "openblas" when it
// is loaded and preferred, else the Go path's micro-kernels, chosen from the
// running CPU's features: "go-avx512", "go-avx2" or "go-generic" (portable
// Go). Small GEMMs and batches of them run in Go even under "openblas" (they
// measured faster there; see preferBLAS).
func Backend() string {
	if useBLAS() && preferBLAS(4096, 4096, 4096, 1) {
		return "openblas"
	}
	return levelNames[level()]
}

func useBLAS() bool           { return !forceGo.Load() && blas.Available() }
func level() int              { return min(hwLevel, int(maxLevel.Load())) }
func cfg32() *config[float32] { return s32Cfg[level()] }
func cfg64() *config[float64] { return s64Cfg[level()] }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices: op(A) is m×k (A stored k×m when tA), op(B) is k×n (B stored n×k
// when tB), C is m×n; lda, ldb, ldc are the row strides. When beta is 0, C is
// not read (NaNs in it do not propagate). It panics if a slice is too short
// for the shapes and strides given.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	batched(cfg32(), blas.Sgemm, tA, tB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)
}

// Dgemm is Sgemm for float64.
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	batched(cfg64(), blas.Dgemm, tA, tB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)
}

// SgemmBatch computes batch independent GEMMs: for i in [0, batch),
// C_i = alpha·op(A_i)·op(B_i) + beta·C_i, where X_i starts at x[i*strideX].
// strideA or strideB may be 0 to share one operand across the batch. The C_i
// must not overlap (strideC may be 0 only when batch is 1). Small GEMMs run
// in parallel across the batch, big ones one after another, each in parallel.
func SgemmBatch(tA, tB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	batched(cfg32(), blas.Sgemm, tA, tB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// DgemmBatch is SgemmBatch for float64.
func DgemmBatch(tA, tB bool, m, n, k int, alpha float64, a []float64, lda, strideA int, b []float64, ldb, strideB int, beta float64, c []float64, ldc, strideC int, batch int) {
	batched(cfg64(), blas.Dgemm, tA, tB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// blasFn is blas.Sgemm or blas.Dgemm.
type blasFn[T float32 | float64] func(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

func batched[T float32 | float64](cf *config[T], bf blasFn[T], tA, tB bool, m, n, k int, alpha T,
	a []T, lda, sA int, b []T, ldb, sB int, beta T, c []T, ldc, sC int, batch int) {
	if m < 0 || n < 0 || k < 0 || batch < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d batch=%d", m, n, k, batch))
	}
	check("a", tA, m, k, lda, len(a), sA, batch)
	check("b", tB, k, n, ldb, len(b), sB, batch)
	check("c", false, m, n, ldc, len(c), sC, batch)
	if batch > 1 && sC == 0 && m > 0 && n > 0 {
		panic("gemm: strideC is 0 with batch > 1: the results would overwrite each other")
	}
	if m == 0 || n == 0 || batch == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		for i := range batch {
			scale(beta, m, n, c[i*sC:], ldc)
		}
		return
	}
	// A batch sharing B whose A_i and C_i are stacked row blocks is one tall
	// GEMM (x·W over a batch of sequences): a single large call runs faster
	// than batch small ones on either backend.
	if batch > 1 && sB == 0 && !tA && sA == m*lda && sC == m*ldc {
		m, batch = m*batch, 1
	}
	// Matrix·vector products: one pass over the matrix, no packing (gemv.go).
	if (m == 1 || n == 1) && !forceBLAS.Load() {
		gemv(tA, tB, m, n, k, alpha, a, lda, sA, b, ldb, sB, beta, c, ldc, sC, batch)
		return
	}
	if useBLAS() && fitsInt32(m, n, k, lda, ldb, ldc) && (forceBLAS.Load() || preferBLAS(m, n, k, batch)) {
		blasBatch(bf, tA, tB, m, n, k, alpha, a, lda, sA, b, ldb, sB, beta, c, ldc, sC, batch)
		return
	}
	goBatch(cf, tA, tB, m, n, k, alpha, a, lda, sA, b, ldb, sB, beta, c, ldc, sC, batch)
}

// check panics unless x holds batch matrices op(X) of r×c at stride s.
func check(name string, trans bool, r, c, ld, length, s, batch int) {
	sr, sc := r, c // stored shape
	if trans {
		sr, sc = c, r
	}
	if ld < max(1, sc) {
		panic(fmt.Sprintf("gemm: ld%s=%d < %d (stored %d×%d)", name, ld, max(1, sc), sr, sc))
	}
	if s < 0 {
		panic(fmt.Sprintf("gemm: stride%s=%d < 0", name, s))
	}
	if sr == 0 || sc == 0 || batch == 0 {
		return
	}
	if need := (sr-1)*ld + sc + (batch-1)*s; length < need {
		panic(fmt.Sprintf("gemm: len(%s)=%d < %d needed for %d×%d, ld=%d, stride=%d, batch=%d",
			name, length, need, sr, sc, ld, s, batch))
	}
}

func fitsInt32(xs ...int) bool {
	for _, x := range xs {
		if x > math.MaxInt32 {
			return false
		}
	}
	return true
}

// scale sets C = beta·C, writing zeros (not reading C) when beta is 0.
func scale[T float32 | float64](beta T, m, n int, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		r := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(r)
			continue
		}
		for j := range r {
			r[j] *= beta
		}
	}
}
