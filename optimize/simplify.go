package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// simplify applies algebraic identities that never change a result: reshape
// chains become one reshape (none if the shape is unchanged), x·1 and x+0
// vanish, and scales of scales multiply. (exp∘log and log∘exp are not
// removed: they differ from x for x ≤ 0 and at overflow.)
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
			switch {
			case op.Kind == nodes.UnScale && op.C == 1, op.Kind == nodes.UnOffset && op.C == 0:
				return in[0]
			case op.Kind == nodes.UnScale:
				if inner, ok := in[0].Op().(*nodes.Unary); ok && inner.Kind == nodes.UnScale {
					return nodes.Scale(in[0].Inputs()[0], inner.C*op.C)
				}
			}
		}
		return nil
	})
}
