// Package linalg holds batched dense linear-algebra kernels — Solve, Inv and
// Cholesky over stacks of small-to-medium matrices in contiguous row-major
// buffers — for float32 and float64.
//
// Loom batches only by loops (vmap), so `for i: x[i] = solve(A[i], b[i])`
// lowers to one call here over the whole stack. Such stacks are typically
// many tiny systems (3×3 … 8×8), where per-call overhead of a general LAPACK
// routine dominates: n ≤ 8 therefore runs generated straight-line
// elimination (small_gen.go), larger n runs gonum's LAPACK, and the batch is
// split over the shared worker pool (internal/parallel).
//
// Every system is computed in float64 whatever T is: for float32 this costs
// almost nothing at these sizes, makes results as accurate as the inputs
// allow, and gives both dtypes the same notion of "singular" as the
// reference interpreter, which also solves in float64.
//
// A matrix counts as singular when a pivot of its partial-pivoting LU is no
// larger than ε·‖A‖_F (ε = 2⁻⁵², Frobenius norm): such a pivot is within
// the rounding error of the elimination itself, so the answer would carry
// no correct digits. This includes LAPACK's exact zero pivots, and it is
// close to, though not the same as, the reference interpreter's test of a
// condition estimate against 1e16 (both reject [[1 1] [1 1+ε]]). A float32
// matrix that is singular only up to float32 rounding is not singular in
// float64, and is solved.
//
// The elimination is LAPACK's getf2: the first row of largest magnitude is
// the pivot, multipliers are formed with the pivot's reciprocal.
package linalg

//go:generate go run gen.go
