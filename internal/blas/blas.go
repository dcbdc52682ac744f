package blas

import (
	"os"
	"strings"
	"sync"
	"unsafe"
)

// CBLAS enum values (cblas.h).
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// The bound C entry points; blasint is 32-bit in the standard (non-INTERFACE64)
// builds we load, whose symbols carry no 64_ suffix.
var (
	cSgemm func(order, ta, tb, m, n, k int32, alpha float32, a unsafe.Pointer, lda int32,
		b unsafe.Pointer, ldb int32, beta float32, c unsafe.Pointer, ldc int32)
	cDgemm func(order, ta, tb, m, n, k int32, alpha float64, a unsafe.Pointer, lda int32,
		b unsafe.Pointer, ldb int32, beta float64, c unsafe.Pointer, ldc int32)
	cGetThreads func() int32
	cSetThreads func(n int32)
	cCoreName   func() string
)

var (
	once      sync.Once
	available bool
	reason    string
	library   string
)

// candidates lists where to look, in order.
func candidates() []string {
	var c []string
	if v := os.Getenv("LOOM_BLAS"); strings.Contains(v, "/") {
		c = append(c, v)
	}
	return append(c,
		"libopenblas.so.0",
		"libopenblas.so",
		"/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
		"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
	)
}

func load() {
	once.Do(func() {
		if strings.EqualFold(os.Getenv("LOOM_BLAS"), "go") {
			reason = "disabled by LOOM_BLAS=go"
			return
		}
		library, reason = open(candidates())
		available = library != ""
	})
}

// Available reports whether OpenBLAS was found and bound. The first call
// loads the library.
func Available() bool {
	load()
	return available
}

// Reason says why OpenBLAS is not available ("" when it is).
func Reason() string {
	load()
	return reason
}

// Library is the path or name OpenBLAS was loaded from ("" when unavailable).
func Library() string {
	load()
	return library
}

// CoreName is the kernel set OpenBLAS picked for this CPU
// (openblas_get_corename: "Haswell", "Zen", "SkylakeX", "Cooperlake", ...),
// or "" when unknown. Callers use it to tell whether OpenBLAS runs AVX-512
// kernels here: a build that predates the CPU falls back to older ones.
func CoreName() string {
	if !Available() || cCoreName == nil {
		return ""
	}
	return cCoreName()
}

func mustLoad() {
	if !Available() {
		panic("blas: OpenBLAS not available: " + reason)
	}
}

func trans(t bool) int32 {
	if t {
		return cblasTrans
	}
	return cblasNoTrans
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major float32 matrices
// with cblas_sgemm. It does no bounds checking beyond what OpenBLAS does: the
// caller must have validated shapes, leading dimensions (which must fit in
// int32) and slice lengths. It panics if OpenBLAS is not available.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mustLoad()
	cSgemm(cblasRowMajor, trans(tA), trans(tB), int32(m), int32(n), int32(k),
		alpha, unsafe.Pointer(unsafe.SliceData(a)), int32(lda),
		unsafe.Pointer(unsafe.SliceData(b)), int32(ldb),
		beta, unsafe.Pointer(unsafe.SliceData(c)), int32(ldc))
}

// Dgemm is Sgemm for float64 (cblas_dgemm).
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	mustLoad()
	cDgemm(cblasRowMajor, trans(tA), trans(tB), int32(m), int32(n), int32(k),
		alpha, unsafe.Pointer(unsafe.SliceData(a)), int32(lda),
		unsafe.Pointer(unsafe.SliceData(b)), int32(ldb),
		beta, unsafe.Pointer(unsafe.SliceData(c)), int32(ldc))
}
