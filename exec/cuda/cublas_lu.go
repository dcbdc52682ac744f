package cuda

// cuBLAS's batched LU (cublas_api.h): factor, solve and invert n×n
// column-major matrices given as device arrays of matrix pointers, with
// device arrays of 1-based pivots (n per matrix) and of int status per
// matrix; getrs reports only invalid parameters, through a host int.
// Loom factors float32 systems in float64 too (steps_lu.go), so only the
// D forms are bound.
var (
	cublasDgetrfBatched func(h uintptr, n int32, a uint64, lda int32, piv, info uint64, batch int32) int32
	cublasDgetrsBatched func(h uintptr, trans, n, nrhs int32, a uint64, lda int32, piv, b uint64, ldb int32, info *int32, batch int32) int32
	cublasDgetriBatched func(h uintptr, n int32, a uint64, lda int32, piv, c uint64, ldc int32, info uint64, batch int32) int32
)

// loadLU binds the batched LU entry points of cuBLAS library h.
func loadLU(h uintptr) error {
	for _, s := range []struct {
		name string
		fn   any
	}{
		{"cublasDgetrfBatched", &cublasDgetrfBatched},
		{"cublasDgetrsBatched", &cublasDgetrsBatched},
		{"cublasDgetriBatched", &cublasDgetriBatched},
	} {
		if err := dlsym(h, s.name, s.fn); err != nil {
			return &LoadError{What: "libcublas.so", Why: err.Error()}
		}
	}
	return nil
}

// luOp is the batched LU routine a luCall runs.
type luOp uint8

const (
	luFactor luOp = iota // getrf: P·A = L·U in place; pivots, info
	luSolve              // getrs: op(A)·X = B in place of B, from the factors
	luInvert             // getri: C = A⁻¹ from the factors (C apart from A)
)

// luCall is one batched LU call in cuBLAS's column-major terms, float64:
// a (and b: getrs's B, getri's C) are device arrays of batch matrix
// pointers, piv the batch·n int32 pivots, info batch int32 statuses
// (getrf, getri).
type luCall struct {
	op       luOp
	n, nrhs  int
	trans    bool // getrs: solve with Aᵀ
	a, b     uint64
	piv      uint64
	info     uint64
	lda, ldb int
	batch    int
}
