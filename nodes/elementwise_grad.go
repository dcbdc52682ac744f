package nodes

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
)

// Gradient rules of the elementwise ops. A cotangent has the result's shape;
// an operand that was repeated over it (a rank-0 scalar, or the shorter side
// of the Bcast form) gets it summed back to its own shape.

// VJP of the arithmetic ops; comparisons and integer operands carry no
// gradient.
//
//   - Div: d/db (a/b) = -a/b² = -y/b, reusing the result y.
//   - Maximum and Minimum: where a and b tie, each gets half the cotangent
//     (JAX's rule; the function is not differentiable there); where one is
//     NaN, b gets it all.
//   - Pow: d/da = b·a^(b-1); d/db = y·log a, defined for a > 0. At a = 0 the
//     b-side is taken as 0 (JAX's rule: 0^b is flat in b for b > 0); for
//     a < 0 it is NaN.
func (o *Binary) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if o.IsComparison() || !floaty(a) {
		return []*graph.Node{nil, nil}, nil
	}
	// bin applies k with this op's shape rule, so a shorter operand may meet
	// a cotangent of the result's shape.
	bin := func(k BinaryKind, x, y *graph.Node) *graph.Node {
		return graph.Apply(&Binary{Kind: k, Bcast: o.Bcast}, x, y)
	}
	var ga, gb *graph.Node
	switch o.Kind {
	case BinAdd:
		ga, gb = ct, ct
	case BinSub:
		ga, gb = ct, Neg(ct)
	case BinMul:
		ga, gb = bin(BinMul, ct, b), bin(BinMul, ct, a)
	case BinDiv:
		ga = bin(BinDiv, ct, b)
		gb = Neg(bin(BinDiv, Mul(ct, out), b))
	case BinMaximum, BinMinimum:
		ga, gb = ewExtremeGrad(o, a, b, out, ct)
	case BinPow:
		ga = Mul(ct, bin(BinMul, bin(BinPow, a, Offset(b, -1)), b))
		zero := Equal(a, scalarLike(a, 0))
		gb = bin(BinMul, Mul(ct, out), Log(Where(zero, scalarLike(a, 1), a)))
	default:
		return nil, fmt.Errorf("%w: %s", graph.ErrNoGradient, o.Name())
	}
	return grads(o, sumLeading(ga, a.Shape()), sumLeading(gb, b.Shape()))
}

// ewExtremeGrad routes Maximum's (Minimum's) cotangent to the larger
// (smaller) side, half to each on a tie.
func ewExtremeGrad(o *Binary, a, b, out, ct *graph.Node) (*graph.Node, *graph.Node) {
	shape := out.Shape()
	if o.Bcast { // the masks need both sides at the result's shape
		a, b = bcastLeading(a, shape), bcastLeading(b, shape)
	}
	win := Greater(a, b)
	if o.Kind == BinMinimum {
		win = Less(a, b)
	}
	tie := Equal(a, b)
	zero, half := scalarLike(ct, 0), Scale(ct, 0.5)
	ga := Where(win, ct, Where(tie, half, zero))
	gb := Where(win, zero, Where(tie, half, ct))
	return ga, gb
}

// VJP routes the cotangent to a where cond holds and to b elsewhere; cond
// carries none.
func (o *WhereOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 3); err != nil {
		return nil, err
	}
	c, a, b := in[0], in[1], in[2]
	if !floaty(a) {
		return []*graph.Node{nil, nil, nil}, nil
	}
	zero := scalarLike(ct, 0)
	ga, gb := Where(c, ct, zero), Where(c, zero, ct)
	return grads(o, nil, sumLeading(ga, a.Shape()), sumLeading(gb, b.Shape()))
}
