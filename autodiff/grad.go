package autodiff

import "github.com/loomtensor/loom/graph"

// Grad returns d loss / d w for each w in wrt. loss must be a float scalar.
//
// The VJP rules are not written yet: Grad records a build error on the graph
// (so Compile fails clearly) and returns poisoned nodes, one per wrt.
func Grad(loss *graph.Node, wrt ...*graph.Node) []*graph.Node {
	out := make([]*graph.Node, len(wrt))
	if loss == nil || loss.Graph() == nil {
		return out
	}
	bad := loss.Graph().Fail("Grad", "gradients are not implemented in this version of loom yet")
	for k := range out {
		out[k] = bad
	}
	return out
}
