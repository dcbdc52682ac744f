package autodiff

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// loopVJP is the gradient of a vmap node: a vmap node over the body's
// gradient (grad of vmap = vmap of grad). For each input that needs one, a
// loop over the same axis replays the body on that index's slices and runs
// the body's backward pass from the cotangent's slice. A mapped input's
// gradient is that loop's result with the axis put back on its dim; a shared
// input's is summed over the axis. Lowering then turns these loops into
// batched primitives like any other; the replayed forward is the same
// program as the original loop's, so common-subexpression elimination
// merges it, and the optimizer turns the sum of per-example products of a
// shared weight into one contraction.
func loopVJP(n *graph.Node, op *graph.LoopOp, ct *graph.Node, dep map[*graph.Node]bool) ([]*graph.Node, error) {
	in := n.Inputs()
	g := n.Graph()
	grads := make([]*graph.Node, len(in))
	for k, x := range in {
		if !dep[x] || !graph.IsFloat(x.DType()) {
			continue
		}
		var inner error
		gk := g.Loop(op.Axis, func() *graph.Node {
			args := make([]*graph.Node, len(in))
			for j, y := range in {
				args[j] = slice(y, op.InDims[j], op.Axis)
			}
			res := replay(op.Body, args)
			cti := slice(ct, 0, op.Axis)
			m, err := backprop(res, cti, []*graph.Node{args[k]})
			if err != nil {
				inner = err
				return g.Fail("Grad", "%v", err)
			}
			if r := m[args[k]]; r != nil {
				return r
			}
			return zerosLike(args[k])
		})
		if inner != nil {
			return nil, inner
		}
		if err := gk.Err(); err != nil {
			return nil, err
		}
		if d := op.InDims[k]; d >= 0 {
			grads[k] = nodes.MoveDim(gk, 0, d)
		} else {
			grads[k] = graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{0}}, gk)
		}
	}
	return grads, nil
}

// slice returns y's slice for the loop index over a on dim d, or y itself
// (as a shared value of the body) when d is -1.
func slice(y *graph.Node, d int, a *graph.Axis) *graph.Node {
	if d < 0 {
		return graph.Shared(y)
	}
	idx := make([]any, y.Rank())
	for k := range idx {
		idx[k] = graph.All
	}
	idx[d] = a
	return y.At(idx...)
}

// replay builds body's nodes again in the loop being traced, on args.
func replay(body *graph.Body, args []*graph.Node) *graph.Node {
	env := make(map[*graph.Node]*graph.Node, len(body.Params)+len(body.Nodes))
	for j, p := range body.Params {
		env[p] = args[j]
	}
	for _, b := range body.Nodes {
		old := b.Inputs()
		ins := make([]*graph.Node, len(old))
		for j, x := range old {
			ins[j] = env[x]
		}
		b.Graph().WithSite(b.Site(), func() { env[b] = graph.Reapply(b, ins) })
	}
	return env[body.Result]
}
