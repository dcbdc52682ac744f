package optimize

import (
	"fmt"
	"strings"

	"github.com/loomtensor/loom/graph"
)

// cse merges nodes that apply the same op, with the same parameters, to the
// same operands (lowering repeats reshapes of a shared input once per use).
// Inputs are never merged; constants only when they are the same value.
func cse(outs []*graph.Node) ([]*graph.Node, error) {
	seen := map[string]*graph.Node{}
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		if _, ok := n.Op().(*graph.Input); ok {
			return nil
		}
		var key strings.Builder
		fmt.Fprintf(&key, "%T%+v", n.Op(), n.Op())
		for _, x := range in {
			fmt.Fprintf(&key, " %d", x.ID())
		}
		if prev, ok := seen[key.String()]; ok {
			return prev
		}
		v := rebuild(n, in)
		seen[key.String()] = v
		return v
	})
}
