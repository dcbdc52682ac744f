package nodes

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Solve returns x with A·x = b for one square matrix A and a vector b [n]
// or a matrix b [n, k] of right-hand sides. A singular A is a run-time error.
// Stacks of systems are solved by looping (vmap), never by extra dims here.
func Solve(A, b *graph.Node) *graph.Node { return graph.Apply(&SolveOp{}, A, b) }

// Inv returns the inverse of a square matrix; a singular one is a run-time
// error.
func Inv(A *graph.Node) *graph.Node { return graph.Apply(&InvOp{}, A) }

// Cholesky returns the lower-triangular L with A = L·Lᵀ for a symmetric
// positive definite A. It factors the symmetric part (A+Aᵀ)/2, so only
// symmetric inputs are meaningful; one that is not positive definite is a
// run-time error.
func Cholesky(A *graph.Node) *graph.Node { return graph.Apply(&CholeskyOp{}, A) }

// ErrSingular is returned (wrapped) by Solve and Inv for a matrix that is
// singular to working precision.
var ErrSingular = errors.New("matrix is singular")

// ErrNotPositiveDefinite is returned (wrapped) by Cholesky.
var ErrNotPositiveDefinite = errors.New("matrix is not positive definite")

// SolveOp is the op behind Solve.
type SolveOp struct {
	graph.NoBatch
	graph.NoGrad
}

func (*SolveOp) Name() string { return "Solve" }

func (*SolveOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 2); err != nil {
		return graph.Type{}, err
	}
	a, b := in[0], in[1]
	if err := laSameFloat(in); err != nil {
		return graph.Type{}, err
	}
	if err := svSquare(a); err != nil {
		return graph.Type{}, err
	}
	if (b.Rank() != 1 && b.Rank() != 2) || b.Shape[0] != a.Shape[0] {
		return graph.Type{}, fmt.Errorf("right-hand side %s does not fit A %s: want [%d] or [%d k]", b.Dims(), a.Dims(), a.Shape[0], a.Shape[0])
	}
	// x takes A's column dim and b's other dims.
	t := graph.Type{DType: b.DType, Shape: append([]int{}, b.Shape...), Labels: []*graph.Axis{a.Label(1)}}
	if b.Rank() == 2 {
		t.Labels = append(t.Labels, b.Label(1))
	}
	return t, nil
}

func (o *SolveOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	n := t.Shape[0]
	k := 1
	if len(t.Shape) == 2 {
		k = t.Shape[1]
	}
	x, err := svSolve(dense.F64(in[0]), n, dense.F64(in[1]), k)
	if err != nil {
		return nil, err
	}
	return dense.FromF64(t.DType, t.Shape, x), nil
}

// InvOp is the op behind Inv.
type InvOp struct {
	graph.NoBatch
	graph.NoGrad
}

func (*InvOp) Name() string { return "Inv" }

func (*InvOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	if err := laSameFloat(in); err != nil {
		return graph.Type{}, err
	}
	a := in[0]
	if err := svSquare(a); err != nil {
		return graph.Type{}, err
	}
	// inv(A) maps A's rows' space to its columns': dims swap.
	return graph.Type{DType: a.DType, Shape: append([]int{}, a.Shape...), Labels: []*graph.Axis{a.Label(1), a.Label(0)}}, nil
}

func (o *InvOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	n := t.Shape[0]
	eye := make([]float64, n*n)
	for i := 0; i < n; i++ {
		eye[i*n+i] = 1
	}
	x, err := svSolve(dense.F64(in[0]), n, eye, n)
	if err != nil {
		return nil, err
	}
	return dense.FromF64(t.DType, t.Shape, x), nil
}

// CholeskyOp is the op behind Cholesky.
type CholeskyOp struct {
	graph.NoBatch
	graph.NoGrad
}

func (*CholeskyOp) Name() string { return "Cholesky" }

func (*CholeskyOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	if err := laSameFloat(in); err != nil {
		return graph.Type{}, err
	}
	a := in[0]
	if err := svSquare(a); err != nil {
		return graph.Type{}, err
	}
	return graph.Type{DType: a.DType, Shape: append([]int{}, a.Shape...), Labels: []*graph.Axis{a.Label(0), a.Label(1)}}, nil
}

func (o *CholeskyOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	n := t.Shape[0]
	if n == 0 {
		return dense.Zeros(t.DType, t.Shape), nil
	}
	a := dense.F64(in[0])
	sym := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := (a[i*n+j] + a[j*n+i]) / 2
			if !svFinite(v) {
				return nil, fmt.Errorf("%w: element [%d %d] is %v", ErrNotPositiveDefinite, i, j, v)
			}
			sym[i*n+j] = v
		}
	}
	var c mat.Cholesky
	if ok := c.Factorize(mat.NewSymDense(n, sym)); !ok {
		return nil, ErrNotPositiveDefinite
	}
	var l mat.TriDense
	c.LTo(&l)
	out := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			out[i*n+j] = l.At(i, j)
		}
	}
	return dense.FromF64(t.DType, t.Shape, out), nil
}

// svSquare checks for a square matrix.
func svSquare(a graph.Type) error {
	if a.Rank() != 2 || a.Shape[0] != a.Shape[1] {
		return fmt.Errorf("want a square matrix, got %s", a.Dims())
	}
	return nil
}

func svFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// svSolve solves the n×n system a·x = b for k right-hand sides (b is [n,k]
// row-major) by LU with partial pivoting, and rejects matrices singular to
// working precision (gonum's condition tolerance).
func svSolve(a []float64, n int, b []float64, k int) ([]float64, error) {
	if n == 0 || k == 0 {
		return make([]float64, n*k), nil
	}
	for idx, v := range a {
		if !svFinite(v) {
			return nil, fmt.Errorf("matrix element [%d %d] is %v", idx/n, idx%n, v)
		}
	}
	var lu mat.LU
	lu.Factorize(mat.NewDense(n, n, a))
	var x mat.Dense
	if err := lu.SolveTo(&x, false, mat.NewDense(n, k, b)); err != nil {
		var cond mat.Condition
		if errors.As(err, &cond) {
			if math.IsInf(float64(cond), 1) {
				return nil, ErrSingular
			}
			return nil, fmt.Errorf("%w to working precision (condition number %.3g)", ErrSingular, float64(cond))
		}
		return nil, err
	}
	out := make([]float64, n*k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			out[i*k+j] = x.At(i, j)
		}
	}
	return out, nil
}
