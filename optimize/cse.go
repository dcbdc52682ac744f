package optimize

import (
	"fmt"
	"strings"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// cse merges nodes that apply the same op, with the same parameters, to the
// same operands (lowering repeats reshapes of a shared input once per use).
// Reshapes that differ only in the names of their dims are the same value
// (batching rules label the dims they restore, so one value is often
// reshaped alike under several names, and a fused kernel would read the same
// elements twice). Inputs are never merged; small constants when they hold
// the same values, others only with themselves (formatting them for a key
// would cost more than it finds).
func cse(outs []*graph.Node) ([]*graph.Node, error) {
	seen := map[string]*graph.Node{}
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		var key strings.Builder
		switch op := n.Op().(type) {
		case *graph.Input, *graph.Param:
			return nil
		case *graph.Const:
			if v := op.Value; v.Size() <= 16 {
				fmt.Fprintf(&key, "const %v %v %v", v.Dtype(), v.Shape(), dense.F64(v))
			} else {
				fmt.Fprintf(&key, "const %p", v)
			}
		case *nodes.ReshapeOp:
			fmt.Fprintf(&key, "reshape %v", op.Dims)
		default:
			fmt.Fprintf(&key, "%T%+v", op, op)
		}
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
