package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// broadcast repeats x along the new dims: a strided read of x with stride 0
// along them, so a repeated row is copied whole and a repeated element is
// filled.
func broadcast(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.BroadcastOp)
	x := dense.Contiguous(args[0])
	xs := dense.Shape(x)
	if len(xs) != len(op.Dims) {
		return nil, false, nil
	}
	st := dense.Strides(xs)
	v := walk{count: op.Shape, stride: make([]int, len(op.Shape))}
	for k, d := range op.Dims {
		if d < 0 || d >= len(op.Shape) || op.Shape[d] != xs[k] {
			return nil, false, nil
		}
		v.stride[d] = st[k]
	}
	return gathered(x, v, op.Shape)
}

// gathered is a new tensor of shape holding the view v of x.
func gathered(x *tensor.Dense, v walk, shape []int) (*tensor.Dense, bool, error) {
	out := dense.Zeros(x.Dtype(), shape)
	src, ok := elemsOf(x)
	dst, _ := elemsOf(out)
	if !ok {
		return nil, false, nil
	}
	if out.Size() > 0 {
		gatherView(dst, src, v)
	}
	return out, true, nil
}

// selView is the view of a value of shape that sels picks (ints drop a dim,
// spans step through one), and the shape of what it picks.
func selView(sels []graph.Sel, shape []int) (walk, []int, bool) {
	if len(sels) != len(shape) {
		return walk{}, nil, false
	}
	st := dense.Strides(shape)
	var v walk
	var picked []int
	for k, s := range sels {
		switch {
		case s.Keep:
			v.count = append(v.count, shape[k])
			v.stride = append(v.stride, st[k])
		case s.Drop:
			if s.I < 0 || s.I >= shape[k] {
				return walk{}, nil, false
			}
			v.base += s.I * st[k]
			continue
		default:
			if s.S.Step <= 0 {
				return walk{}, nil, false
			}
			c := 0
			if s.S.Hi > s.S.Lo {
				c = (s.S.Hi - s.S.Lo + s.S.Step - 1) / s.S.Step
			}
			if c > 0 && (s.S.Lo < 0 || s.S.Lo+(c-1)*s.S.Step >= shape[k]) {
				return walk{}, nil, false
			}
			v.base += s.S.Lo * st[k]
			v.count = append(v.count, c)
			v.stride = append(v.stride, s.S.Step*st[k])
		}
		picked = append(picked, v.count[len(v.count)-1])
	}
	return v, picked, true
}

// selectK is At with ints, spans and kept dims: a strided copy.
func selectK(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*graph.Select)
	x := dense.Contiguous(args[0])
	v, shape, ok := selView(op.Sels, dense.Shape(x))
	if !ok {
		return nil, false, nil
	}
	return gathered(x, v, shape)
}

// unselect places its operand where the selection picked it in a zero
// tensor (the transpose of At, for gradients): a strided write.
func unselect(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*graph.Unselect)
	src := dense.Contiguous(args[0])
	v, shape, ok := selView(op.Sels, op.Shape)
	if !ok || dense.Size(shape) != src.Size() {
		return nil, false, nil
	}
	out := dense.Zeros(src.Dtype(), op.Shape)
	s, ok := elemsOf(src)
	d, _ := elemsOf(out)
	if !ok {
		return nil, false, nil
	}
	if src.Size() > 0 {
		scatterView(d, s, v)
	}
	return out, true, nil
}

// concat joins pieces along op.Axis: every row of the result is the pieces'
// rows one after another, rows split over the workers.
func concat(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	axis := n.Op().(*nodes.ConcatOp).Axis
	shape := n.Shape()
	if axis < 0 || axis >= len(shape) {
		return nil, false, nil
	}
	chunks := make([]int, len(args))
	for k, x := range args {
		xs := dense.Shape(x)
		if len(xs) != len(shape) {
			return nil, false, nil
		}
		chunks[k] = dense.Size(xs[axis:])
	}
	return joinRows(args, shape, dense.Size(shape[:axis]), chunks)
}

// stack is concat along a new dim: each piece contributes one sub-block of
// every row of the result.
func stack(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	axis := n.Op().(*nodes.StackOp).Axis
	shape := n.Shape()
	if axis < 0 || axis >= len(shape) || shape[axis] != len(args) {
		return nil, false, nil
	}
	per := dense.Size(shape[axis+1:])
	chunks := make([]int, len(args))
	for k, x := range args {
		if x.Size() != dense.Size(shape)/max(1, len(args)) {
			return nil, false, nil
		}
		chunks[k] = per
	}
	return joinRows(args, shape, dense.Size(shape[:axis]), chunks)
}

// joinRows writes, for each of outer rows, chunks[k] elements of piece k
// (its row r) one after another.
func joinRows(args []*tensor.Dense, shape []int, outer int, chunks []int) (*tensor.Dense, bool, error) {
	if len(args) == 0 {
		return nil, false, nil
	}
	out := dense.Zeros(args[0].Dtype(), shape)
	d, ok := elemsOf(out)
	if !ok {
		return nil, false, nil
	}
	src := make([]elems, len(args))
	row := 0
	for k, x := range args {
		if x.Dtype() != out.Dtype() {
			return nil, false, nil
		}
		src[k], _ = elemsOf(dense.Contiguous(x))
		row += chunks[k]
	}
	if row*outer != out.Size() {
		return nil, false, nil
	}
	if out.Size() == 0 {
		return out, true, nil
	}
	parallel.For(outer, max(1, copyMinBytes/max(1, row*d.es)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			at := r * row
			for k, c := range chunks {
				move(d, at, 1, src[k], r*c, 1, c)
				at += c
			}
		}
	})
	return out, true, nil
}
