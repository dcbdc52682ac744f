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

// SolveOp is the op behind Solve. NB is the number of leading batch dims
// (0: the natural form). With NB > 0, A is [B..., n, n] and b is [B'..., n]
// (vector right-hand sides, rank NB+1) or [B'..., n, k] (rank NB+2); each
// batch dim is equal on both sides or 1 on one side, which is repeated.
// Batching rules produce it; users loop instead.
type SolveOp struct {
	NB int
}

func (*SolveOp) Name() string    { return "Solve" }
func (o *SolveOp) Attrs() string { return svAttrs(o.NB) }

func svAttrs(nb int) string {
	if nb == 0 {
		return ""
	}
	return fmt.Sprintf("nb %d", nb)
}

func (o *SolveOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 2); err != nil {
		return graph.Type{}, err
	}
	a, b := in[0], in[1]
	if err := laSameFloat(in); err != nil {
		return graph.Type{}, err
	}
	nb := o.NB
	if err := svSquare(a, nb); err != nil {
		return graph.Type{}, err
	}
	n := a.Shape[nb]
	if (b.Rank() != nb+1 && b.Rank() != nb+2) || b.Shape[nb] != n {
		pre := graph.Of(a.DType, a.Shape[:nb]).Dims()
		pre = pre[:len(pre)-1]
		if nb > 0 {
			pre += " "
		}
		return graph.Type{}, fmt.Errorf("right-hand side %s does not fit A %s: want %s%d] or %s%d k]", b.Dims(), a.Dims(), pre, n, pre, n)
	}
	shape, labels, err := bcBatch(a, b, nb)
	if err != nil {
		return graph.Type{}, err
	}
	// x takes A's column dim and b's other dims.
	t := graph.Type{DType: b.DType, Shape: append(shape, b.Shape[nb:]...), Labels: append(labels, a.Label(nb+1))}
	if b.Rank() == nb+2 {
		t.Labels = append(t.Labels, b.Label(nb+1))
	}
	return t, nil
}

func (o *SolveOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	ts := laTypesOf(in)
	t, err := o.Infer(ts)
	if err != nil {
		return nil, err
	}
	nb := o.NB
	n, k := t.Shape[nb], 1
	if len(t.Shape) == nb+2 {
		k = t.Shape[nb+1]
	}
	batch := t.Shape[:nb]
	ia, ib := bcIndex(batch, ts[0].Shape[:nb]), bcIndex(batch, ts[1].Shape[:nb])
	a, b := dense.F64(in[0]), dense.F64(in[1])
	out := make([]float64, 0, dense.Size(t.Shape))
	for i := range ia {
		x, err := svSolve(a[ia[i]*n*n:(ia[i]+1)*n*n], n, b[ib[i]*n*k:(ib[i]+1)*n*k], k)
		if err != nil {
			return nil, svAt(batch, i, err)
		}
		out = append(out, x...)
	}
	return dense.FromF64(t.DType, t.Shape, out), nil
}

// svAt names the failing system's batch index in err (nothing to name for a
// single system).
func svAt(batch []int, i int, err error) error {
	if len(batch) == 0 {
		return err
	}
	idx := make([]int, len(batch))
	for d := len(batch) - 1; d >= 0; d-- {
		idx[d], i = i%batch[d], i/batch[d]
	}
	return fmt.Errorf("system %v: %w", idx, err)
}

// Batch folds a batch of right-hand sides of one shared A into the columns of
// one natural Solve (one factorization); otherwise the loop axis becomes one
// more batch dim (left in place when it is among the batch dims already).
func (o *SolveOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	A, b, db := in[0], in[1], bdim[1]
	if bdim[0] >= 0 || o.NB > 0 {
		xs, p := alignBatch(in, bdim, o.NB)
		return checked(graph.Apply(&SolveOp{NB: o.NB + 1}, xs...), p)
	}
	if b.Rank() == 2 { // vectors [B,n] or [n,B] → columns [n,B]
		if db == 0 {
			b = Transpose(b, 1, 0)
		}
		return checked(Solve(A, b), 1)
	}
	if db == 0 { // [B,n,k] → [n,B,k]
		b, db = MoveDim(b, 0, 1), 1
	}
	s := b.Shape() // [n,B,k] or [n,k,B]
	x := Solve(A, Reshape(b, s[0], s[1]*s[2]))
	return checked(reshapeL(x, s, []*graph.Axis{labelOf(A, 1), labelOf(b, 1), labelOf(b, 2)}), db)
}

// InvOp is the op behind Inv. NB is the number of leading batch dims (0: the
// natural form): A is [B..., n, n]. Batching rules produce it.
type InvOp struct {
	NB int
}

func (*InvOp) Name() string    { return "Inv" }
func (o *InvOp) Attrs() string { return svAttrs(o.NB) }

func (o *InvOp) Infer(in []graph.Type) (graph.Type, error) {
	a, err := svOne(in, o.NB)
	if err != nil {
		return graph.Type{}, err
	}
	// inv(A) maps A's rows' space to its columns': dims swap.
	t := graph.Of(a.DType, a.Shape)
	t.Labels = svLabels(a, o.NB)
	t.Labels[o.NB], t.Labels[o.NB+1] = t.Labels[o.NB+1], t.Labels[o.NB]
	return t, nil
}

func (o *InvOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	return svEach(o, in, o.NB, func(a []float64, n int) ([]float64, error) {
		eye := make([]float64, n*n)
		for i := 0; i < n; i++ {
			eye[i*n+i] = 1
		}
		return svSolve(a, n, eye, n)
	})
}

// Batch makes the loop axis one more batch dim.
func (o *InvOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	xs, p := alignBatch(in, bdim, o.NB)
	return checked(graph.Apply(&InvOp{NB: o.NB + 1}, xs...), p)
}

// CholeskyOp is the op behind Cholesky. NB is the number of leading batch
// dims (0: the natural form): A is [B..., n, n]. Batching rules produce it.
type CholeskyOp struct {
	NB int
}

func (*CholeskyOp) Name() string    { return "Cholesky" }
func (o *CholeskyOp) Attrs() string { return svAttrs(o.NB) }

func (o *CholeskyOp) Infer(in []graph.Type) (graph.Type, error) {
	a, err := svOne(in, o.NB)
	if err != nil {
		return graph.Type{}, err
	}
	t := graph.Of(a.DType, a.Shape)
	t.Labels = svLabels(a, o.NB)
	return t, nil
}

func (o *CholeskyOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	return svEach(o, in, o.NB, svCholesky)
}

// Batch makes the loop axis one more batch dim.
func (o *CholeskyOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	xs, p := alignBatch(in, bdim, o.NB)
	return checked(graph.Apply(&CholeskyOp{NB: o.NB + 1}, xs...), p)
}

// svCholesky factors one n×n matrix's symmetric part.
func svCholesky(a []float64, n int) ([]float64, error) {
	if n == 0 {
		return nil, nil
	}
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
	return out, nil
}

// svOne checks the one operand of Inv and Cholesky: a float [B..., n, n].
func svOne(in []graph.Type, nb int) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	if err := laSameFloat(in); err != nil {
		return graph.Type{}, err
	}
	return in[0], svSquare(in[0], nb)
}

// svLabels is a fresh copy of a's labels, one per dim.
func svLabels(a graph.Type, nb int) []*graph.Axis {
	l := make([]*graph.Axis, nb+2)
	for k := range l {
		l[k] = a.Label(k)
	}
	return l
}

// svEach applies f to each n×n matrix of the stack in[0] (nb batch dims).
func svEach(op graph.Op, in []*tensor.Dense, nb int, f func(a []float64, n int) ([]float64, error)) (*tensor.Dense, error) {
	t, err := op.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	n := t.Shape[nb]
	batch := t.Shape[:nb]
	a := dense.F64(in[0])
	out := make([]float64, n*n*dense.Size(batch))
	for i := 0; i < dense.Size(batch); i++ {
		x, err := f(a[i*n*n:(i+1)*n*n], n)
		if err != nil {
			return nil, svAt(batch, i, err)
		}
		copy(out[i*n*n:], x)
	}
	return dense.FromF64(t.DType, t.Shape, out), nil
}

// svSquare checks for a stack of square matrices with nb batch dims.
func svSquare(a graph.Type, nb int) error {
	switch {
	case nb < 0:
		return fmt.Errorf("negative batch dim count %d", nb)
	case a.Rank() != nb+2 || a.Shape[nb] != a.Shape[nb+1]:
		if nb == 0 {
			return fmt.Errorf("want a square matrix, got %s", a.Dims())
		}
		return fmt.Errorf("want %d batch dims then a square matrix, got %s", nb, a.Dims())
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
