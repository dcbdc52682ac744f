package optimize

import "github.com/loomtensor/loom/graph"

// rewrite rebuilds the program computing outs bottom-up: rule sees each node
// with its operands already rewritten and returns the replacement, or nil to
// keep the node (rebuilt only if an operand changed).
func rewrite(outs []*graph.Node, rule func(n *graph.Node, in []*graph.Node) *graph.Node) ([]*graph.Node, error) {
	memo := map[*graph.Node]*graph.Node{}
	for _, n := range graph.Needed(outs) {
		old := n.Inputs()
		in := make([]*graph.Node, len(old))
		for k, x := range old {
			in[k] = memo[x]
		}
		var v *graph.Node
		n.Graph().WithSite(n.Site(), func() {
			if v = rule(n, in); v == nil {
				v = rebuild(n, in)
			}
		})
		if err := v.Err(); err != nil {
			return nil, err
		}
		memo[n] = v
	}
	res := make([]*graph.Node, len(outs))
	for k, o := range outs {
		res[k] = memo[o]
	}
	return res, nil
}

// rebuild is n itself when its operands are unchanged, else n's op applied to
// the new ones.
func rebuild(n *graph.Node, in []*graph.Node) *graph.Node {
	if sameNodes(in, n.Inputs()) {
		return n
	}
	return graph.Reapply(n, in)
}

func sameNodes(a, b []*graph.Node) bool {
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
