package optimize

import "github.com/loomtensor/loom/graph"

// dce is dead-code elimination. At the top level it is structural: the
// program is graph.Needed(outs), the values the outputs depend on, and every
// pass (and exec's schedule) walks only those, so a value nothing reads is
// never rewritten, compiled or run; rewrites leave the nodes they replace
// behind in the graph, dead in the same way. This pass does the part that
// is not structural: a loop whose body reads a capture only from dead code
// (a value traced in the body and then not used by its result) still takes
// that input, and would slice it for every index if it ran as a loop. Such
// loops are traced again without the dead captures. Loops nested inside a
// body are left as they are.
func dce(outs []*graph.Node) ([]*graph.Node, error) {
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		l, ok := n.Op().(*graph.LoopOp)
		if !ok {
			return nil
		}
		used := liveParams(l.Body)
		if len(used) == len(l.Body.Params) || !closed(l.Body) {
			return nil
		}
		return retrace(n.Graph(), l, in, used)
	})
}

// liveParams is the set of a body's params its result depends on (Nodes
// holds only what the result needs, so a param none of them reads is dead).
func liveParams(b *graph.Body) map[*graph.Node]bool {
	live := map[*graph.Node]bool{}
	params := map[*graph.Node]bool{}
	for _, p := range b.Params {
		params[p] = true
	}
	if params[b.Result] {
		live[b.Result] = true
	}
	for _, n := range b.Nodes {
		for _, x := range n.Inputs() {
			if params[x] {
				live[x] = true
			}
		}
	}
	return live
}

// closed reports whether a body's nodes read only its params and each other
// (what tracing builds), so that retrace can map every operand.
func closed(b *graph.Body) bool {
	in := map[*graph.Node]bool{}
	for _, p := range b.Params {
		in[p] = true
	}
	for _, n := range b.Nodes {
		for _, x := range n.Inputs() {
			if !in[x] {
				return false
			}
		}
		in[n] = true
	}
	return in[b.Result]
}

// retrace builds loop l again over operands in, capturing only the params in
// used: each kept capture is indexed by the loop axis as before (or shared),
// and the body's nodes are applied again to the new values.
func retrace(g *graph.Graph, l *graph.LoopOp, in []*graph.Node, used map[*graph.Node]bool) *graph.Node {
	r := g.Loop(l.Axis, func() *graph.Node {
		m := map[*graph.Node]*graph.Node{}
		for k, p := range l.Body.Params {
			if !used[p] {
				continue
			}
			x := in[k]
			if d := l.InDims[k]; d >= 0 {
				ix := make([]any, x.Rank())
				for q := range ix {
					ix[q] = graph.All
				}
				ix[d] = l.Axis
				x = x.At(ix...)
			}
			m[p] = x
		}
		for _, b := range l.Body.Nodes {
			args := make([]*graph.Node, len(b.Inputs()))
			for k, x := range b.Inputs() {
				args[k] = m[x]
			}
			m[b] = graph.Reapply(b, args)
		}
		return m[l.Body.Result]
	})
	if lo, ok := r.Op().(*graph.LoopOp); ok {
		lo.Residual = l.Residual
	}
	return r
}
