package optimize

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
)

// foldLimit bounds the constants folding may create (elements).
const foldLimit = 1 << 16

// fold evaluates, once at compile time, nodes whose operands are all
// constants (small ones: a folded value is stored in the program).
func fold(outs []*graph.Node) ([]*graph.Node, error) {
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		switch n.Op().(type) {
		case *graph.Input, *graph.Const, *graph.Param, *graph.LoopOp:
			return nil
		}
		if len(in) == 0 || n.Type().Size() > foldLimit {
			return nil
		}
		vals := make([]*tensor.Dense, len(in))
		for k, x := range in {
			c, ok := x.Op().(*graph.Const)
			if !ok {
				return nil
			}
			vals[k] = c.Value
		}
		v, err := n.Op().Eval(vals)
		if err != nil {
			return nil // leave it: the run reports the error with its input
		}
		return n.Graph().Const(v)
	})
}
