package optimize

import (
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// simplify applies algebraic identities. All but one give bit-identical
// results:
//
//   - reshape chains become one reshape (none if the shape is unchanged);
//   - x·1 and x+0 vanish (Scale 1, Offset 0, or a multiply or add by a
//     constant of ones or zeros of x's own type); x+0 is exact except that
//     -0+0 is +0, which compares equal;
//   - -(-x) is x, and -(x·c) is x·(-c) (negation commutes with rounding);
//   - Cast to x's own dtype, a Broadcast that adds no dim and a reduction
//     over no dims are x;
//   - log(exp(x)) is x: exact for every x, including ±Inf and NaN, and more
//     accurate than evaluating it, which overflows to +Inf above ~88.7
//     (float32) and underflows to -Inf below ~-103: there the rewritten
//     program returns x where the reference returns ±Inf.
//
// Scales of scales multiply: (x·a)·b becomes x·(a·b), which may round
// differently in the last bit.
//
// Deliberately not rewritten: exp(log(x)) (NaN, not x, for x < 0), and x·0
// (NaN·0 and Inf·0 are NaN, not 0).
func simplify(outs []*graph.Node) ([]*graph.Node, error) {
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		switch op := n.Op().(type) {
		case *nodes.ReshapeOp, *nodes.RavelOp:
			x := in[0]
			for {
				switch x.Op().(type) {
				case *nodes.ReshapeOp, *nodes.RavelOp:
					x = x.Inputs()[0]
					continue
				}
				break
			}
			if slices.Equal(x.Shape(), n.Shape()) {
				return x
			}
			if x != in[0] {
				return nodes.Reshape(x, n.Shape()...)
			}
		case *nodes.Unary:
			return simplifyUnary(op, in[0])
		case *nodes.Binary:
			return simplifyBinary(op, n, in)
		case *nodes.CastOp:
			if in[0].DType() == op.To {
				return in[0]
			}
		case *nodes.BroadcastOp:
			if slices.Equal(in[0].Shape(), op.Shape) {
				return in[0]
			}
		case *nodes.Reduce:
			if op.Axes != nil && len(op.Axes) == 0 && op.Kind != nodes.RedLogSumExp {
				return in[0]
			}
			return sumScatter(n, in)
		}
		return nil
	})
}

func simplifyUnary(op *nodes.Unary, x *graph.Node) *graph.Node {
	inner, _ := x.Op().(*nodes.Unary)
	kind := func(k nodes.UnaryKind) bool { return inner != nil && inner.Kind == k }
	switch op.Kind {
	case nodes.UnScale:
		switch {
		case op.C == 1:
			return x
		case kind(nodes.UnScale):
			return nodes.Scale(x.Inputs()[0], inner.C*op.C)
		}
	case nodes.UnOffset:
		if op.C == 0 {
			return x
		}
	case nodes.UnNeg:
		switch {
		case kind(nodes.UnNeg):
			return x.Inputs()[0]
		case kind(nodes.UnScale):
			return nodes.Scale(x.Inputs()[0], -inner.C)
		}
	case nodes.UnLog:
		if kind(nodes.UnExp) {
			return x.Inputs()[0]
		}
	}
	return nil
}

// simplifyBinary drops a multiply by ones or an add of zeros when the other
// operand already has the result's type (a rank-0 x times a ones matrix
// would change the shape).
func simplifyBinary(op *nodes.Binary, n *graph.Node, in []*graph.Node) *graph.Node {
	var unit float64
	switch op.Kind {
	case nodes.BinMul:
		unit = 1
	case nodes.BinAdd:
		unit = 0
	default:
		return nil
	}
	for k, c := range in {
		x := in[1-k]
		if allEqual(c, unit) && x.DType() == n.DType() && slices.Equal(x.Shape(), n.Shape()) {
			return x
		}
	}
	return nil
}

// allEqual reports whether c is a constant whose every element is v.
func allEqual(c *graph.Node, v float64) bool {
	k, ok := c.Op().(*graph.Const)
	if !ok || !(graph.IsFloat(c.DType()) || c.DType() == tensor.Int64) {
		return false
	}
	for _, x := range dense.F64(k.Value) {
		if x != v {
			return false
		}
	}
	return true
}
