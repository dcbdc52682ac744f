package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Scatter is TakeOp's transpose: it adds a take-shaped value into zeros of
// the taken value's shape at the rows the index names. Its inputs are the
// value (x's dims with Dim replaced by the index's I dims) and the int64
// index [P..., I...]; Size is the length of x's dim Dim. Repeated indices
// add up, which is what the gradient of an embedding lookup needs.
type Scatter struct {
	Dim   int
	Pairs []int
	Size  int
}

func (*Scatter) Name() string { return "scatter" }
func (o *Scatter) Attrs() string {
	return fmt.Sprintf("dim %d size %d pairs %v", o.Dim, o.Size, o.Pairs)
}

// layout returns the number of index I dims and the output (x) shape.
func (o *Scatter) layout(v, i []int) (int, []int) {
	ni := len(i) - len(o.Pairs)
	x := slices.Clone(v[:o.Dim])
	x = append(x, o.Size)
	return ni, append(x, v[o.Dim+ni:]...)
}

func (o *Scatter) Infer(in []Type) (Type, error) {
	v, i := in[0], in[1]
	p := len(o.Pairs)
	if i.DType != tensor.Int64 || i.Rank() < p {
		return Type{}, fmt.Errorf("scatter index must be int64 with %d paired dims, got %s", p, i)
	}
	ni := i.Rank() - p
	if o.Dim < 0 || o.Dim+ni > v.Rank() || o.Size < 0 {
		return Type{}, fmt.Errorf("cannot scatter %s on dim %d with index %s", v.Dims(), o.Dim, i.Dims())
	}
	if !slices.Equal(v.Shape[o.Dim:o.Dim+ni], i.Shape[p:]) {
		return Type{}, fmt.Errorf("value %s does not match index %s at dim %d", v.Dims(), i.Dims(), o.Dim)
	}
	_, xs := o.layout(v.Shape, i.Shape)
	for k, d := range o.Pairs {
		if d < 0 || d >= len(xs) || d == o.Dim || xs[d] != i.Shape[k] || slices.Contains(o.Pairs[:k], d) {
			return Type{}, fmt.Errorf("cannot pair dims %v of %v with index %s", o.Pairs, xs, i.Dims())
		}
	}
	t := Type{DType: v.DType, Shape: xs, Labels: make([]*Axis, len(xs))}
	for k := range xs {
		switch {
		case k < o.Dim:
			t.Labels[k] = v.Label(k)
		case k > o.Dim:
			t.Labels[k] = v.Label(k + ni - 1)
		}
	}
	return t, nil
}

func (o *Scatter) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	vals := dense.F64(in[0])
	idx := dense.I64(in[1])
	vs, is := dense.Shape(in[0]), dense.Shape(in[1])
	_, xs := o.layout(vs, is)
	acc := make([]float64, dense.Size(xs))
	step := dense.Strides(xs)[o.Dim]
	err := takeCoords(o.Dim, o.Pairs, xs, is, func(e, off, at int) error {
		r := idx[at]
		if r < 0 || r >= int64(o.Size) {
			return &IndexError{Index: r, Size: o.Size, Dim: o.Dim}
		}
		acc[off+int(r)*step] += vals[e]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dense.FromF64(in[0].Dtype(), xs, acc), nil
}

// Batch mirrors TakeOp.Batch: a batched value adds a dim of x; a batched
// index dim among (or right after) the paired ones pairs with it — an
// index read inside nested loops is batched at the inner loop's dim. Other
// placements keep a loop.
func (o *Scatter) Batch(in []*Node, bdim []int) (*Node, int, error) {
	v, i := in[0], in[1]
	bv, bi := bdim[0], bdim[1]
	ni := i.Rank() - len(o.Pairs)
	if bi >= 0 {
		ni--
	}
	if bv < 0 || (bv >= o.Dim && bv < o.Dim+ni) {
		return nil, 0, ErrNoBatchRule
	}
	xb := bv // the batch dim's place in the output: before Dim when it can be
	if bv > o.Dim || (bv == o.Dim && ni > 0) {
		xb = bv - ni + 1
	}
	shift := func(d int) int {
		if d >= xb {
			return d + 1
		}
		return d
	}
	pairs := make([]int, len(o.Pairs))
	for k, d := range o.Pairs {
		pairs[k] = shift(d)
	}
	op := &Scatter{Dim: shift(o.Dim), Pairs: pairs, Size: o.Size}
	switch {
	case bi < 0:
	case bi <= len(pairs):
		op.Pairs = slices.Insert(pairs, bi, xb)
	default:
		return nil, 0, ErrNoBatchRule
	}
	return batched(apply(v.g.here(), op, in), xb)
}

// VJP: the cotangent of the scattered value is the take of the cotangent.
func (o *Scatter) VJP(in []*Node, _, ct *Node) ([]*Node, error) {
	return []*Node{Apply(&TakeOp{Dim: o.Dim, Pairs: o.Pairs}, ct, in[1]), nil}, nil
}

// Shared returns x as seen from the loop body being traced: x itself at top
// level or when it belongs to this body, else the body's shared parameter
// standing for it. Transforms that replay a body (autodiff) use it to name an
// outer value inside the body.
func Shared(x *Node) *Node {
	if x == nil || x.err != nil {
		return x
	}
	v, err := x.g.bring(x, x.g.current())
	if err != nil {
		return x.g.fail(x.g.here(), "Shared", "%v", err)
	}
	return v
}
