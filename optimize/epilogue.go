package optimize

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// epilogue folds a Scale of a float matmul's result into the GEMM (its alpha),
// when the scale is the product's only consumer: the scaled product is
// written once instead of written, read and written again.
func epilogue(outs []*graph.Node) ([]*graph.Node, error) {
	uses := map[*graph.Node]int{}
	for _, n := range graph.Needed(outs) {
		for _, x := range n.Inputs() {
			uses[x]++
		}
	}
	for _, o := range outs {
		uses[o]++
	}
	orig := map[*graph.Node]*graph.Node{} // rewritten matmul -> original
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		switch op := n.Op().(type) {
		case *nodes.BatchMatMulOp, *nodes.ReshapeOp:
			v := rebuild(n, in)
			orig[v] = n
			return v
		case *nodes.Unary:
			x := in[0]
			if op.Kind != nodes.UnScale || op.C == 0 || !graph.IsFloat(n.DType()) || uses[orig[x]] != 1 {
				return nil
			}
			// Look through one reshape: scaling commutes with it.
			var shape []int
			if _, ok := x.Op().(*nodes.ReshapeOp); ok && uses[orig[x.Inputs()[0]]] == 1 {
				shape, x = x.Shape(), x.Inputs()[0]
			}
			mm, ok := x.Op().(*nodes.BatchMatMulOp)
			if !ok || uses[orig[x]] != 1 {
				return nil
			}
			fused := *mm
			fused.Alpha = mm.Scale() * op.C
			r := graph.Apply(&fused, x.Inputs()...)
			if shape != nil {
				r = nodes.Reshape(r, shape...)
			}
			return r
		}
		return nil
	})
}
