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
type MatMulOp struct {
	graph.NoBatch
	graph.NoGrad
}

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
type OuterOp struct {
	graph.NoBatch
	graph.NoGrad
}

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
