package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/internal/vmath"
)

// gather is At with one int64 scalar index on dim Dim: a strided copy of
// that slice. An index out of range is the reference's error.
func gather(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	dim := n.Op().(*graph.Gather).Dim
	x := dense.Contiguous(args[0])
	xs := dense.Shape(x)
	if dim < 0 || dim >= len(xs) || args[1].Dtype() != tensor.Int64 || args[1].Size() != 1 {
		return nil, false, nil
	}
	i := dense.I64(args[1])[0]
	if i < 0 || i >= int64(xs[dim]) {
		return nil, true, &graph.IndexError{Index: i, Size: xs[dim], Dim: dim}
	}
	sels := make([]graph.Sel, len(xs))
	for k := range sels {
		sels[k] = graph.Sel{Keep: true}
	}
	sels[dim] = graph.Sel{Drop: true, I: int(i)}
	v, shape, _ := selView(sels, xs)
	return gathered(x, v, shape)
}

// takeLayout splits a take (or its transpose, a scatter) into outer rows
// (x's dims before Dim), index positions (the index's own dims) and
// contiguous inner blocks (x's dims after Dim). ok is false when a paired
// dim lies after Dim (the index would vary inside a block): the reference
// rule runs those.
type takeLayout struct {
	outer, ni, inner, size int
	pair                   func(o int) int // the index row outer row o reads
}

func newTakeLayout(xs []int, dim int, pairs []int, is []int) (takeLayout, bool) {
	p := len(pairs)
	for _, d := range pairs {
		if d >= dim {
			return takeLayout{}, false
		}
	}
	l := takeLayout{outer: dense.Size(xs[:dim]), ni: dense.Size(is[p:]), inner: dense.Size(xs[dim+1:]), size: xs[dim]}
	ost, pst := dense.Strides(xs[:dim]), dense.Strides(is[:p])
	l.pair = func(o int) int {
		q := 0
		for k, d := range pairs {
			q += (o / ost[d] % xs[d]) * pst[k]
		}
		return q
	}
	return l, true
}

// firstBad is the first out-of-range index in the order the reference
// visits them (outer row, then index position), or nil.
func (l takeLayout) firstBad(idx []int64, dim int) error {
	for o := range l.outer {
		row := idx[l.pair(o)*l.ni : (l.pair(o)+1)*l.ni]
		for _, v := range row {
			if v < 0 || v >= int64(l.size) {
				return &graph.IndexError{Index: v, Size: l.size, Dim: dim}
			}
		}
	}
	return nil
}

// take is the batched gather (embedding lookups, per-example indices):
// every output block is one contiguous block of x, copied whole.
func take(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*graph.TakeOp)
	x := dense.Contiguous(args[0])
	if args[1].Dtype() != tensor.Int64 {
		return nil, false, nil
	}
	idx := dense.I64(args[1])
	xs, is := dense.Shape(x), dense.Shape(args[1])
	if op.Dim < 0 || op.Dim >= len(xs) || len(is) < len(op.Pairs) {
		return nil, false, nil
	}
	l, ok := newTakeLayout(xs, op.Dim, op.Pairs, is)
	if !ok || l.outer*l.ni*l.inner != dense.Size(n.Shape()) || l.outer*l.ni*l.inner == 0 {
		return nil, false, nil // empty: the reference (which checks no index)
	}
	if err := l.firstBad(idx, op.Dim); err != nil {
		return nil, true, err
	}
	out := dense.Zeros(x.Dtype(), n.Shape())
	src, ok := elemsOf(x)
	d, _ := elemsOf(out)
	if !ok {
		return nil, false, nil
	}
	rows := l.outer * l.ni
	parallel.For(rows, max(1, copyMinBytes/max(1, l.inner*d.es)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, ip := r/l.ni, r%l.ni
			v := int(idx[l.pair(o)*l.ni+ip])
			move(d, r*l.inner, 1, src, (o*l.size+v)*l.inner, 1, l.inner)
		}
	})
	return out, true, nil
}

// scatter adds each block of its values into the row its index names (the
// transpose of take, for gradients of lookups). Blocks that land on the same
// row are added in the reference's order (index position ascending), so the
// result is the same whatever the workers do; workers take outer rows or,
// with one outer row, column ranges of the blocks.
func scatter(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*graph.Scatter)
	vals := dense.Contiguous(args[0])
	if args[1].Dtype() != tensor.Int64 {
		return nil, false, nil
	}
	idx := dense.I64(args[1])
	xs := n.Shape()
	is := dense.Shape(args[1])
	if op.Dim < 0 || op.Dim >= len(xs) || len(is) < len(op.Pairs) {
		return nil, false, nil
	}
	l, ok := newTakeLayout(xs, op.Dim, op.Pairs, is)
	if !ok || l.outer*l.ni*l.inner != vals.Size() || vals.Size() == 0 {
		return nil, false, nil // empty: the reference (which checks no index)
	}
	if err := l.firstBad(idx, op.Dim); err != nil {
		return nil, true, err
	}
	switch vals.Dtype() {
	case tensor.Float32:
		out := dense.Zeros(tensor.Float32, xs)
		scatterAdd(out.Float32s(), vals.Float32s(), idx, l, vmath.Add32s)
		return out, true, nil
	case tensor.Float64:
		out := dense.Zeros(tensor.Float64, xs)
		scatterAdd(out.Float64s(), vals.Float64s(), idx, l, vmath.Add64s)
		return out, true, nil
	}
	return nil, false, nil
}

func scatterAdd[T float](out, vals []T, idx []int64, l takeLayout, add func(d, a, b []T)) {
	if len(out) == 0 || len(vals) == 0 {
		return
	}
	W := parallel.Workers()
	cw := l.inner
	if l.outer < W && l.inner >= 2*256 {
		cw = max(256, (l.inner+W-1)/W)
	}
	nc := (l.inner + cw - 1) / cw
	work := l.ni * cw * 4
	parallel.For(l.outer*nc, max(1, copyMinBytes/max(1, work)), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			o, c0 := t/nc, t%nc*cw
			c1 := min(l.inner, c0+cw)
			q := l.pair(o)
			for ip := range l.ni {
				v := int(idx[q*l.ni+ip])
				d := out[(o*l.size+v)*l.inner+c0 : (o*l.size+v)*l.inner+c1]
				add(d, d, vals[(o*l.ni+ip)*l.inner+c0:(o*l.ni+ip)*l.inner+c1])
			}
		}
	})
}
