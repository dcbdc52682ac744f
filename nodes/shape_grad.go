package nodes

import (
	"github.com/loomtensor/loom/graph"
)

// Gradient rules of the shape ops: each moves the cotangent's elements back
// to where the operand's came from. Integer and bool operands carry none.

// VJP transposes the cotangent by the inverse permutation (T by T).
func (o *TransposeOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	if !floaty(in[0]) {
		return []*graph.Node{nil}, nil
	}
	if o.Matrix {
		return grads(o, T(ct))
	}
	return grads(o, Transpose(ct, invPerm(o.Perm)...))
}

// VJP reshapes the cotangent back to the operand's dims.
func (o *RavelOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	return shUnreshape(o, in, ct)
}

// VJP reshapes the cotangent back to the operand's dims.
func (o *ReshapeOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	return shUnreshape(o, in, ct)
}

func shUnreshape(op graph.Op, in []*graph.Node, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(op, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !floaty(x) {
		return []*graph.Node{nil}, nil
	}
	t := x.Type()
	labels := make([]*graph.Axis, x.Rank())
	for k := range labels {
		labels[k] = t.Label(k)
	}
	return grads(op, reshapeL(ct, x.Shape(), labels))
}

// VJP slices each piece's part out of the cotangent along the joined dim.
func (o *ConcatOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	gs := make([]*graph.Node, len(in))
	if len(in) == 0 || !floaty(in[0]) {
		return gs, nil
	}
	at := 0
	for k, x := range in {
		n := x.Dim(o.Axis)
		sels := shKeepAll(ct.Rank())
		sels[o.Axis] = graph.Sel{S: graph.Span(at, at+n, 1)}
		gs[k] = graph.Apply(&graph.Select{Sels: sels}, ct)
		at += n
	}
	return grads(o, gs...)
}

// VJP takes each value's slice of the cotangent at its index of the new dim.
func (o *StackOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	gs := make([]*graph.Node, len(in))
	if len(in) == 0 || !floaty(in[0]) {
		return gs, nil
	}
	for k := range in {
		sels := shKeepAll(ct.Rank())
		sels[o.Axis] = graph.Sel{Drop: true, I: k}
		gs[k] = graph.Apply(&graph.Select{Sels: sels}, ct)
	}
	return grads(o, gs...)
}

// shKeepAll is a selection that keeps each of n dims.
func shKeepAll(n int) []graph.Sel {
	sels := make([]graph.Sel, n)
	for k := range sels {
		sels[k] = graph.Sel{Keep: true}
	}
	return sels
}
