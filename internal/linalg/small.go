package linalg

// status is a kernel's verdict on one system; the driver turns it into an
// error naming the system, so kernels never allocate.
type status int8

const (
	ok         status = iota
	singular          // a pivot within rounding error of zero
	notFinite         // an input element is NaN or ±Inf
	notPD             // Cholesky: a non-positive pivot
	useGeneral        // a generated kernel cannot decide safely: ask generalSolve
)

const (
	// eps is float64's machine epsilon: a pivot no larger than eps·‖A‖_F is
	// within the rounding error of the elimination itself.
	eps = 0x1p-52
	// minNorm2 is the least ‖A‖_F² the generated kernels accept: from there
	// every pivot above the threshold is a normal number whose reciprocal,
	// which they multiply by instead of dividing, cannot overflow.
	minNorm2 = 0x1p-1022
)

// smallLU is one factored n×n matrix (n ≤ maxSmall), rows in pivot order:
// row i of lu is row perm[i] of A, L's unit diagonal is implicit and d holds
// U's reciprocal diagonal.
type smallLU struct {
	lu   [maxSmall * maxSmall]float64
	d    [maxSmall]float64
	perm [maxSmall]int
}

// elimScratch holds the two matrices a generated kernel alternates between.
// It lives in the worker's scratch rather than on the kernel's stack, which
// Go would zero on every call.
type elimScratch [2][maxSmall][maxSmall + 1]float64
