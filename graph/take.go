package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Batch keeps the batch dim in place: it becomes one more kept dim.
func (o *Select) Batch(in []*Node, bdim []int) (*Node, int, error) {
	bd := bdim[0]
	sels := slices.Insert(slices.Clone(o.Sels), bd, Sel{Keep: true})
	out := bd
	for _, s := range o.Sels[:bd] {
		if s.Drop {
			out--
		}
	}
	return batched(apply(in[0].g.here(), &Select{Sels: sels}, in[:1]), out)
}

// Batch: a shared index gathers along the shifted dim; a batched index over
// a shared value is a take (one row per index); both batched pair the value's
// batch dim with the index's.
func (o *Gather) Batch(in []*Node, bdim []int) (*Node, int, error) {
	x, i := in[0], in[1]
	bx, bi := bdim[0], bdim[1]
	dim := o.Dim
	if bx >= 0 && bx <= dim {
		dim++
	}
	g := x.g
	switch {
	case bi < 0:
		out := bx
		if bx > dim {
			out--
		}
		return batched(apply(g.here(), &Gather{Dim: dim}, []*Node{x, i}), out)
	case bx < 0:
		return batched(apply(g.here(), &TakeOp{Dim: dim}, []*Node{x, i}), dim+bi)
	case bi == 0:
		out := bx
		if bx > dim {
			out--
		}
		return batched(apply(g.here(), &TakeOp{Dim: dim, Pairs: []int{bx}}, []*Node{x, i}), out)
	}
	return nil, 0, ErrNoBatchRule
}

// here is the site a node built now is attributed to: the rewrite's
// (WithSite) while one runs, else the user's call site — walked from the
// stack only then, since rewrites build many nodes.
func (g *Graph) here() string {
	if g != nil && g.site != "" {
		return g.site
	}
	return callSite()
}

func batched(n *Node, bd int) (*Node, int, error) {
	if n.err != nil {
		return nil, 0, n.err
	}
	return n, bd, nil
}

// TakeOp is the batched form of Gather (NumPy's take, with paired dims):
// the index is int64 of shape [P..., I...] where the P dims pair with x's
// dims at Pairs; dim Dim of x is replaced by the I dims, and each output
// element reads x at the index found for its paired and I coordinates.
type TakeOp struct {
	Dim   int
	Pairs []int
}

func (*TakeOp) Name() string    { return "At" }
func (o *TakeOp) Attrs() string { return fmt.Sprintf("take dim %d pairs %v", o.Dim, o.Pairs) }

func (o *TakeOp) Infer(in []Type) (Type, error) {
	x, i := in[0], in[1]
	p := len(o.Pairs)
	if i.DType != tensor.Int64 || i.Rank() < p {
		return Type{}, fmt.Errorf("take index must be int64 with %d paired dims, got %s", p, i)
	}
	if o.Dim < 0 || o.Dim >= x.Rank() {
		return Type{}, fmt.Errorf("no dim %d in %s", o.Dim, x.Dims())
	}
	for k, d := range o.Pairs {
		if d < 0 || d >= x.Rank() || d == o.Dim || x.Shape[d] != i.Shape[k] || slices.Contains(o.Pairs[:k], d) {
			return Type{}, fmt.Errorf("cannot pair dims %v of %s with index %s", o.Pairs, x.Dims(), i.Dims())
		}
	}
	t := Type{DType: x.DType}
	for k, n := range x.Shape {
		if k == o.Dim {
			t.Shape = append(t.Shape, i.Shape[p:]...)
			t.Labels = append(t.Labels, i.Labels[min(p, len(i.Labels)):]...)
			for len(t.Labels) < len(t.Shape) {
				t.Labels = append(t.Labels, nil)
			}
			continue
		}
		t.Shape = append(t.Shape, n)
		t.Labels = append(t.Labels, x.Label(k))
	}
	return t, nil
}

func (o *TakeOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	x := dense.Contiguous(in[0])
	idx := dense.I64(in[1])
	xs, is := dense.Shape(x), dense.Shape(in[1])
	oshape := append(append(slices.Clone(xs[:o.Dim]), is[len(o.Pairs):]...), xs[o.Dim+1:]...)
	out := dense.Zeros(x.Dtype(), oshape)
	step := dense.Strides(xs)[o.Dim]
	err := takeCoords(o.Dim, o.Pairs, xs, is, func(e, off, at int) error {
		v := idx[at]
		if v < 0 || v >= int64(xs[o.Dim]) {
			return &IndexError{Index: v, Size: xs[o.Dim], Dim: o.Dim}
		}
		dense.CopyElems(out, e, x, off+int(v)*step, 1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// takeCoords visits, in order, every element e of a take's result (x of
// shape xs with dim Dim replaced by the I dims of an index of shape is, whose
// leading dims pair with x's dims at pairs): off is the element's offset in
// x with dim Dim at 0, at its index's position. A scatter walks its value
// the same way.
func takeCoords(dim int, pairs, xs, is []int, visit func(e, off, at int) error) error {
	p := len(pairs)
	ni := len(is) - p
	isz := dense.Size(is[p:])
	xst := dense.Strides(xs)
	shape := append(append(slices.Clone(xs[:dim]), is[p:]...), xs[dim+1:]...)
	coord := make([]int, len(shape))
	for e, n := 0, dense.Size(shape); e < n; e++ {
		ipos, off := 0, 0
		for k := range xs {
			switch {
			case k < dim:
				off += coord[k] * xst[k]
			case k == dim:
				for j := 0; j < ni; j++ {
					ipos = ipos*is[p+j] + coord[k+j]
				}
			default:
				off += coord[k+ni-1] * xst[k]
			}
		}
		pair := 0
		for k, d := range pairs {
			if d > dim {
				d += ni - 1
			}
			pair = pair*is[k] + coord[d]
		}
		if err := visit(e, off, pair*isz+ipos); err != nil {
			return err
		}
		for k := len(coord) - 1; k >= 0; k-- {
			if coord[k]++; coord[k] < shape[k] {
				break
			}
			coord[k] = 0
		}
	}
	return nil
}

// Batch: a batched x shifts the dims; a batched index adds an I dim (or a
// pair, when it is the index's leading dim and x is batched too).
func (o *TakeOp) Batch(in []*Node, bdim []int) (*Node, int, error) {
	x, i := in[0], in[1]
	bx, bi := bdim[0], bdim[1]
	p := len(o.Pairs)
	shift := func(d int) int {
		if bx >= 0 && d >= bx {
			return d + 1
		}
		return d
	}
	dim := shift(o.Dim)
	pairs := make([]int, p)
	for k, d := range o.Pairs {
		pairs[k] = shift(d)
	}
	site := x.g.here()
	// Where x's batch dim lands in the output: before or after the I dims.
	ni := i.Rank() - p
	if bi >= 0 {
		ni--
	}
	outOf := func(d int) int {
		if d > dim {
			return d + ni - 1
		}
		return d
	}
	switch {
	case bi < 0:
		return batched(apply(site, &TakeOp{Dim: dim, Pairs: pairs}, in), outOf(bx))
	case bx < 0 && bi >= p:
		return batched(apply(site, &TakeOp{Dim: dim, Pairs: pairs}, in), dim+bi-p)
	case bx >= 0 && bi <= p:
		// The index's batch dim (among or right after its paired dims: an
		// index read inside nested loops) pairs with x's.
		all := slices.Insert(pairs, bi, bx)
		return batched(apply(site, &TakeOp{Dim: dim, Pairs: all}, in), outOf(bx))
	}
	return nil, 0, ErrNoBatchRule
}
