package cuda

// The cuBLAS entry points (cublas_api.h). cublasHandle_t is a pointer;
// cublasOperation_t and cublasMath_t are int enums; alpha and beta are host
// pointers (the default pointer mode). A batch whose matrices sit at one
// stride apart (after merging batch dims) goes to cublas*gemmStridedBatched
// (18 parameters: purego ≥ 0.11 passes up to 32); any other batch layout
// to cublas*gemmBatched, with device arrays of matrix pointers built by a
// generated kernel (gen_layout.go).
var (
	cublasCreate        func(h *uintptr) int32
	cublasSetMathMode   func(h uintptr, mode int32) int32
	cublasSgemm         func(h uintptr, ta, tb, m, n, k int32, alpha *float32, a uint64, lda int32, b uint64, ldb int32, beta *float32, c uint64, ldc int32) int32
	cublasDgemm         func(h uintptr, ta, tb, m, n, k int32, alpha *float64, a uint64, lda int32, b uint64, ldb int32, beta *float64, c uint64, ldc int32) int32
	cublasSgemmBatched  func(h uintptr, ta, tb, m, n, k int32, alpha *float32, a uint64, lda int32, b uint64, ldb int32, beta *float32, c uint64, ldc int32, batch int32) int32
	cublasDgemmBatched  func(h uintptr, ta, tb, m, n, k int32, alpha *float64, a uint64, lda int32, b uint64, ldb int32, beta *float64, c uint64, ldc int32, batch int32) int32
	cublasSgemmStrided  func(h uintptr, ta, tb, m, n, k int32, alpha *float32, a uint64, lda int32, sa int64, b uint64, ldb int32, sb int64, beta *float32, c uint64, ldc int32, sc int64, batch int32) int32
	cublasDgemmStrided  func(h uintptr, ta, tb, m, n, k int32, alpha *float64, a uint64, lda int32, sa int64, b uint64, ldb int32, sb int64, beta *float64, c uint64, ldc int32, sc int64, batch int32) int32
	cublasGetStatusName func(code int32) string
)

const (
	cublasOpN         = 0
	cublasOpT         = 1
	cublasDefaultMath = 0 // CUBLAS_DEFAULT_MATH: exact float32
	cublasTF32Math    = 3 // CUBLAS_TF32_TENSOR_OP_MATH
)

var cublasCandidates = []string{"libcublas.so", "libcublas.so.13", "libcublas.so.12"}

// loadCUBLAS opens the first cuBLAS that loads and binds its entry points.
func loadCUBLAS() error {
	h, tried, err := openFirst(cublasCandidates)
	if err != nil {
		return &LoadError{What: "libcublas.so", Why: "cannot load cuBLAS (install the CUDA toolkit's cublas package): " + tried}
	}
	syms := []struct {
		name string
		fn   any
	}{
		{"cublasCreate_v2", &cublasCreate},
		{"cublasSetMathMode", &cublasSetMathMode},
		{"cublasSgemm_v2", &cublasSgemm},
		{"cublasDgemm_v2", &cublasDgemm},
		{"cublasSgemmBatched", &cublasSgemmBatched},
		{"cublasDgemmBatched", &cublasDgemmBatched},
		{"cublasSgemmStridedBatched", &cublasSgemmStrided},
		{"cublasDgemmStridedBatched", &cublasDgemmStrided},
	}
	for _, s := range syms {
		if err := dlsym(h, s.name, s.fn); err != nil {
			return &LoadError{What: "libcublas.so", Why: err.Error()}
		}
	}
	if err := loadLU(h); err != nil {
		return err
	}
	if dlsym(h, "cublasGetStatusName", &cublasGetStatusName) != nil {
		cublasGetStatusName = nil // older cuBLAS: the table names the codes
	}
	return nil
}

func cublasStatusName(code int) string {
	if cublasGetStatusName == nil {
		return ""
	}
	return cublasGetStatusName(int32(code))
}

// gemmCall is one cuBLAS GEMM in cuBLAS's own column-major terms:
// C = alpha·op(A)·op(B), C m×n. With batch > 1, a, b and c are device
// arrays of batch matrix pointers, or, when strided, the first matrices,
// the others sa, sb and sc elements on (0: one matrix shared by the batch).
type gemmCall struct {
	f64            bool
	transA, transB bool
	m, n, k        int
	alpha          float64
	a, b, c        uint64
	lda, ldb, ldc  int
	batch          int
	strided        bool
	sa, sb, sc     int64
}

// rowMajorGemm is C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] on row-major
// buffers, as cuBLAS sees it: the column-major view of a row-major matrix
// is its transpose, so it computes Cᵀ = op(B)ᵀ·op(A)ᵀ with the operands
// swapped. op(X) = Xᵀ when tX, where the stored X is then [K,M] or [N,K].
func rowMajorGemm(f64, tA, tB bool, M, N, K int, alpha float64, a, b, c uint64, batch int) gemmCall {
	lda, ldb := K, N
	if tA {
		lda = M
	}
	if tB {
		ldb = K
	}
	return gemmCall{f64: f64, transA: tB, transB: tA, m: N, n: M, k: K, alpha: alpha,
		a: b, lda: ldb, b: a, ldb: lda, c: c, ldc: N, batch: batch}
}

// withStrides makes g a strided batch: row-major matrices of A, B and C at sa,
// sb and sc elements apart (swapped with the operands, as rowMajorGemm
// swaps them).
func (g gemmCall) withStrides(sa, sb, sc int) gemmCall {
	g.strided, g.sa, g.sb, g.sc = true, int64(sb), int64(sa), int64(sc)
	return g
}

// gemm runs g through cuBLAS on the owner thread.
func (d *Device) gemm(g gemmCall) error {
	op := func(t bool) int32 {
		if t {
			return cublasOpT
		}
		return cublasOpN
	}
	ta, tb := op(g.transA), op(g.transB)
	m, n, k := int32(g.m), int32(g.n), int32(g.k)
	lda, ldb, ldc := int32(max(g.lda, 1)), int32(max(g.ldb, 1)), int32(max(g.ldc, 1))
	switch {
	case g.f64 && g.batch > 1 && g.strided:
		al, be := g.alpha, 0.0
		return cublasErr("cublasDgemmStridedBatched", cublasDgemmStrided(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.sa, g.b, ldb, g.sb, &be, g.c, ldc, g.sc, int32(g.batch)))
	case g.batch > 1 && g.strided:
		al, be := float32(g.alpha), float32(0)
		return cublasErr("cublasSgemmStridedBatched", cublasSgemmStrided(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.sa, g.b, ldb, g.sb, &be, g.c, ldc, g.sc, int32(g.batch)))
	case g.f64 && g.batch > 1:
		al, be := g.alpha, 0.0
		return cublasErr("cublasDgemmBatched", cublasDgemmBatched(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.b, ldb, &be, g.c, ldc, int32(g.batch)))
	case g.f64:
		al, be := g.alpha, 0.0
		return cublasErr("cublasDgemm_v2", cublasDgemm(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.b, ldb, &be, g.c, ldc))
	case g.batch > 1:
		al, be := float32(g.alpha), float32(0)
		return cublasErr("cublasSgemmBatched", cublasSgemmBatched(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.b, ldb, &be, g.c, ldc, int32(g.batch)))
	default:
		al, be := float32(g.alpha), float32(0)
		return cublasErr("cublasSgemm_v2", cublasSgemm(d.blas, ta, tb, m, n, k, &al, g.a, lda, g.b, ldb, &be, g.c, ldc))
	}
}
