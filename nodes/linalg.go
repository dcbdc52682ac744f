package nodes

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// MatMul is the matrix product at natural rank: vector·vector (a scalar),
// matrix·vector ([m]), vector·matrix ([n]) and matrix·matrix ([m, n]). Both
// operands have one dtype: float32, float64 or int64. Stacks of matrices are
// multiplied by looping (vmap), never by extra dims here.
func MatMul(a, b *graph.Node) *graph.Node { return graph.Apply(&MatMulOp{}, a, b) }

// T transposes a matrix (2-D only; use Transpose for any rank).
func T(x *graph.Node) *graph.Node {
	return graph.Apply(&TransposeOp{Perm: []int{1, 0}, Matrix: true}, x)
}

// Outer is the outer product of two vectors: [m] ⊗ [n] → [m, n].
func Outer(a, b *graph.Node) *graph.Node { return graph.Apply(&OuterOp{}, a, b) }

// MatMulOp is the op behind MatMul.
type MatMulOp struct{}

func (*MatMulOp) Name() string { return "MatMul" }

func (*MatMulOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 2); err != nil {
		return graph.Type{}, err
	}
	a, b := in[0], in[1]
	if err := laSameNumeric(a, b); err != nil {
		return graph.Type{}, err
	}
	ra, rb := a.Rank(), b.Rank()
	if ra < 1 || ra > 2 || rb < 1 || rb > 2 {
		return graph.Type{}, fmt.Errorf("want 1-D or 2-D operands, got %s × %s (loop over extra dims with vmap.For)", a.Dims(), b.Dims())
	}
	if a.Shape[ra-1] != b.Shape[0] {
		return graph.Type{}, fmt.Errorf("inner dims differ: %s × %s", a.Dims(), b.Dims())
	}
	t := graph.Type{DType: a.DType, Shape: []int{}, Labels: []*graph.Axis{}}
	if ra == 2 {
		t.Shape = append(t.Shape, a.Shape[0])
		t.Labels = append(t.Labels, a.Label(0))
	}
	if rb == 2 {
		t.Shape = append(t.Shape, b.Shape[1])
		t.Labels = append(t.Labels, b.Label(1))
	}
	return t, nil
}

func (o *MatMulOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	sa, sb := dense.Shape(in[0]), dense.Shape(in[1])
	m, k, n := 1, sa[len(sa)-1], 1
	if len(sa) == 2 {
		m = sa[0]
	}
	if len(sb) == 2 {
		n = sb[1]
	}
	if t.DType == tensor.Int64 {
		return dense.FromI64(t.Shape, laGemm(dense.I64(in[0]), dense.I64(in[1]), m, k, n)), nil
	}
	return dense.FromF64(t.DType, t.Shape, laGemm(dense.F64(in[0]), dense.F64(in[1]), m, k, n)), nil
}

// laGemm is the plain row-major product of a [m,k] by b [k,n].
func laGemm[E float64 | int64](a, b []E, m, k, n int) []E {
	c := make([]E, m*n)
	for i := 0; i < m; i++ {
		row := c[i*n : (i+1)*n]
		for p := 0; p < k; p++ {
			av := a[i*k+p]
			brow := b[p*n : (p+1)*n]
			for j := range row {
				row[j] += av * brow[j]
			}
		}
	}
	return c
}

// OuterOp is the op behind Outer.
type OuterOp struct{}

func (*OuterOp) Name() string { return "Outer" }

func (*OuterOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 2); err != nil {
		return graph.Type{}, err
	}
	a, b := in[0], in[1]
	if err := laSameNumeric(a, b); err != nil {
		return graph.Type{}, err
	}
	if a.Rank() != 1 || b.Rank() != 1 {
		return graph.Type{}, fmt.Errorf("want two vectors, got %s ⊗ %s", a.Dims(), b.Dims())
	}
	return graph.Type{
		DType:  a.DType,
		Shape:  []int{a.Shape[0], b.Shape[0]},
		Labels: []*graph.Axis{a.Label(0), b.Label(0)},
	}, nil
}

func (o *OuterOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	m, n := t.Shape[0], t.Shape[1]
	if t.DType == tensor.Int64 {
		return dense.FromI64(t.Shape, laGemm(dense.I64(in[0]), dense.I64(in[1]), m, 1, n)), nil
	}
	return dense.FromF64(t.DType, t.Shape, laGemm(dense.F64(in[0]), dense.F64(in[1]), m, 1, n)), nil
}

// VJP of c = a·b is ā = c̄·bᵀ and b̄ = aᵀ·c̄, written for each rank
// combination so that vectors are never reshaped: [m,k]·[k] gives ā = c̄⊗b
// and b̄ = c̄·a; [k]·[k,n] gives ā = b·c̄ and b̄ = a⊗c̄; [k]·[k] gives a
// scalar c̄ times the other side. Integer operands carry no gradient.
func (o *MatMulOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !floaty(a) {
		return []*graph.Node{nil, nil}, nil
	}
	switch {
	case a.Rank() == 2 && b.Rank() == 2:
		return grads(o, MatMul(ct, T(b)), MatMul(T(a), ct))
	case a.Rank() == 2:
		return grads(o, Outer(ct, b), MatMul(ct, a))
	case b.Rank() == 2:
		return grads(o, MatMul(b, ct), Outer(a, ct))
	}
	return grads(o, Mul(b, ct), Mul(a, ct))
}

// VJP of c = a⊗b is ā = c̄·b and b̄ = a·c̄.
func (o *OuterOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !floaty(a) {
		return []*graph.Node{nil, nil}, nil
	}
	return grads(o, MatMul(ct, b), MatMul(a, ct))
}

// Batch lifts the product over the loop axis, preferring one big 2-D
// product (the batch folded into m or n by free reshapes) or one strided
// batched GEMM over moving data. a and b are the natural ranks ra and rb.
func (*MatMulOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	a, b, da, db := in[0], in[1], bdim[0], bdim[1]
	ra, rb := a.Rank(), b.Rank()
	if da >= 0 {
		ra--
	}
	if db >= 0 {
		rb--
	}
	switch {
	case da >= 0 && db >= 0:
		return mmBoth(a, b, da, db, ra, rb)
	case da >= 0:
		return mmLeft(a, b, da, ra, rb)
	default:
		return mmRight(a, b, db, ra, rb)
	}
}

// mmLeft: a batched on dim da, b shared.
func mmLeft(a, b *graph.Node, da, ra, rb int) (*graph.Node, int, error) {
	s := a.Shape()
	switch {
	case ra == 2 && da <= 1: // [B,m,k] or [m,B,k]: fold B into m
		y := MatMul(Reshape(a, s[0]*s[1], s[2]), b)
		shape, labels := []int{s[0], s[1]}, []*graph.Axis{labelOf(a, 0), labelOf(a, 1)}
		if rb == 2 {
			shape, labels = append(shape, b.Dim(1)), append(labels, labelOf(b, 1))
		}
		return checked(reshapeL(y, shape, labels), da)
	case ra == 2 && rb == 2: // [m,k,B]·[k,n]: per row of a, bᵀ·a[i] → [m,n,B]
		return checked(BatchMatMul(insertOne(b, 0), a, true, false), 2)
	case ra == 2: // [m,k,B]·[k] → [m,1,B] → [m,B]
		y := BatchMatMul(reshapeL(b, []int{1, 1, s[1]}, nil), a, false, false)
		return checked(reshapeL(y, []int{s[0], s[2]}, []*graph.Axis{labelOf(a, 0), labelOf(a, 2)}), 1)
	case da == 0: // [B,k]·[k,n] or [B,k]·[k]: B is m already
		return checked(MatMul(a, b), 0)
	case rb == 2: // [k,B]·[k,n]: aᵀ·b
		return checked(BatchMatMul(a, b, true, false), 0)
	default: // [k,B]·[k]: b·a
		return checked(MatMul(b, a), 0)
	}
}

// mmRight: a shared, b batched on dim db.
func mmRight(a, b *graph.Node, db, ra, rb int) (*graph.Node, int, error) {
	s := b.Shape()
	switch {
	case rb == 2 && db == 0 && ra == 2: // [m,k]·[B,k,n]
		return checked(BatchMatMul(insertOne(a, 0), b, false, false), 0)
	case rb == 2 && db == 0: // [k]·[B,k,n] → [B,1,n] → [B,n]
		y := BatchMatMul(reshapeL(a, []int{1, 1, s[1]}, nil), b, false, false)
		return checked(reshapeL(y, []int{s[0], s[2]}, []*graph.Axis{labelOf(b, 0), labelOf(b, 2)}), 0)
	case rb == 2: // [k,B,n] or [k,n,B]: fold B into n
		y := MatMul(a, Reshape(b, s[0], s[1]*s[2]))
		shape, labels := []int{s[1], s[2]}, []*graph.Axis{labelOf(b, 1), labelOf(b, 2)}
		if ra == 2 {
			shape, labels = append([]int{a.Dim(0)}, shape...), append([]*graph.Axis{labelOf(a, 0)}, labels...)
			return checked(reshapeL(y, shape, labels), db)
		}
		return checked(reshapeL(y, shape, labels), db-1)
	case db == 0 && ra == 2: // [m,k]·[B,k]: b·aᵀ → [B,m]
		return checked(BatchMatMul(b, a, false, true), 0)
	case db == 0: // [k]·[B,k]: b·a
		return checked(MatMul(b, a), 0)
	default: // [m,k]·[k,B] → [m,B]; [k]·[k,B] → [B]
		return checked(MatMul(a, b), ra-1)
	}
}

// mmBoth: both batched; one batched GEMM with the loop axis in front.
func mmBoth(a, b *graph.Node, da, db, ra, rb int) (*graph.Node, int, error) {
	a, b = MoveDim(a, da, 0), MoveDim(b, db, 0)
	n := a.Dim(0)
	shape, labels := []int{n}, []*graph.Axis{labelOf(a, 0)}
	if ra == 2 {
		shape, labels = append(shape, a.Dim(1)), append(labels, labelOf(a, 1))
	} else {
		a = reshapeL(a, []int{n, 1, a.Dim(1)}, []*graph.Axis{labelOf(a, 0), nil, labelOf(a, 1)})
	}
	if rb == 2 {
		shape, labels = append(shape, b.Dim(2)), append(labels, labelOf(b, 2))
	} else {
		b = reshapeL(b, []int{n, b.Dim(1), 1}, []*graph.Axis{labelOf(b, 0), labelOf(b, 1), nil})
	}
	y := BatchMatMul(a, b, false, false)
	if ra == 2 && rb == 2 {
		return checked(y, 0)
	}
	return checked(reshapeL(y, shape, labels), 0)
}

// Batch is the k = 1 product: one 2-D product when a alone is batched, or
// when b alone is batched on its last dim; a batched GEMM otherwise.
func (*OuterOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	a, b, da, db := in[0], in[1], bdim[0], bdim[1]
	sa, sb := a.Shape(), b.Shape()
	la, lb := []*graph.Axis{labelOf(a, 0), labelOf(a, 1)}, []*graph.Axis{labelOf(b, 0), labelOf(b, 1)}
	switch {
	case da >= 0 && db < 0: // [B,m] or [m,B] → [B·m,1]·[1,n] → [B,m,n] or [m,B,n]
		y := MatMul(Reshape(a, sa[0]*sa[1], 1), reshapeL(b, []int{1, sb[0]}, []*graph.Axis{nil, lb[0]}))
		return checked(reshapeL(y, []int{sa[0], sa[1], sb[0]}, append(la, lb[0])), da)
	case da < 0 && db == 1: // [m,1]·[1,n·B] → [m,n,B]
		y := MatMul(reshapeL(a, []int{sa[0], 1}, []*graph.Axis{la[0], nil}), Reshape(b, 1, sb[0]*sb[1]))
		return checked(reshapeL(y, []int{sa[0], sb[0], sb[1]}, append([]*graph.Axis{la[0]}, lb...)), 2)
	}
	// The loop axis in front of both: [B,m,1]·[B,1,n], a shared side with a
	// size-1 batch dim.
	if da >= 0 {
		a = MoveDim(a, da, 0)
	} else {
		a = insertOne(a, 0)
	}
	if db >= 0 {
		b = MoveDim(b, db, 0)
	} else {
		b = insertOne(b, 0)
	}
	a = reshapeL(a, []int{a.Dim(0), a.Dim(1), 1}, []*graph.Axis{labelOf(a, 0), labelOf(a, 1), nil})
	b = reshapeL(b, []int{b.Dim(0), 1, b.Dim(1)}, []*graph.Axis{labelOf(b, 0), nil, labelOf(b, 1)})
	return checked(BatchMatMul(a, b, false, false), 0)
}

// laTypesOf describes run-time values as types, so Eval can check its
// operands with the op's own shape rule instead of indexing out of range.
func laTypesOf(in []*tensor.Dense) []graph.Type {
	ts := make([]graph.Type, len(in))
	for k, x := range in {
		if x != nil {
			ts[k] = graph.Of(x.Dtype(), dense.Shape(x))
		}
	}
	return ts
}

// laArity checks the operand count (Eval may be handed anything).
func laArity(in []graph.Type, n int) error {
	if len(in) != n {
		return fmt.Errorf("%d operands, want %d", len(in), n)
	}
	for k, t := range in {
		if t.DType.Type == nil {
			return fmt.Errorf("operand %d is missing", k)
		}
	}
	return nil
}

// laDesc is a type as errors show it: "f32[seq=128 64]".
func laDesc(t graph.Type) string { return graph.DTypeName(t.DType) + t.Dims() }

// laSameNumeric checks that a and b share a float32, float64 or int64 dtype.
func laSameNumeric(a, b graph.Type) error {
	if !graph.IsNumeric(a.DType) || !graph.IsNumeric(b.DType) {
		return fmt.Errorf("want float32, float64 or int64 operands, got %s and %s", laDesc(a), laDesc(b))
	}
	if a.DType != b.DType {
		return fmt.Errorf("dtypes differ: %s and %s (convert one with Cast)", laDesc(a), laDesc(b))
	}
	return nil
}

// laSameFloat checks that every operand has one float dtype.
func laSameFloat(in []graph.Type) error {
	for k, t := range in {
		if !graph.IsFloat(t.DType) {
			return fmt.Errorf("operand %d is %s: want float32 or float64", k, laDesc(t))
		}
		if t.DType != in[0].DType {
			return fmt.Errorf("dtypes differ: operand 0 is %s, operand %d is %s (convert one with Cast)", laDesc(in[0]), k, laDesc(t))
		}
	}
	return nil
}
