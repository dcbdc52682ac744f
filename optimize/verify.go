package optimize

import (
	"fmt"
	"slices"

	"github.com/loomtensor/loom/graph"
)

// Verify checks a program's invariants: every node's operands come before it
// (acyclic, topological), none is nil or poisoned, and every node's stored
// type is what its op's shape rule says today.
func Verify(outs []*graph.Node) error {
	seen := map[*graph.Node]bool{}
	var check func(ns []*graph.Node, where string) error
	check = func(ns []*graph.Node, where string) error {
		for _, n := range ns {
			if err := n.Err(); err != nil {
				return fmt.Errorf("%s%%%d is poisoned: %w", where, n.ID(), err)
			}
			types := make([]graph.Type, 0, len(n.Inputs()))
			for k, x := range n.Inputs() {
				if x == nil || !seen[x] {
					return fmt.Errorf("%s%%%d (%s): operand %d is missing or comes later", where, n.ID(), n.Op().Name(), k)
				}
				types = append(types, x.Type())
			}
			seen[n] = true
			switch op := n.Op().(type) {
			case *graph.Input, *graph.Const, *graph.Param:
				continue
			case *graph.LoopOp:
				for _, p := range op.Body.Params {
					seen[p] = true
				}
				if err := check(op.Body.Nodes, fmt.Sprintf("%sloop %%%d: ", where, n.ID())); err != nil {
					return err
				}
			}
			t, err := n.Op().Infer(types)
			if err != nil {
				return fmt.Errorf("%s%%%d (%s): shape rule now fails: %w", where, n.ID(), n.Op().Name(), err)
			}
			if got := n.Type(); t.DType != got.DType || !slices.Equal(t.Shape, got.Shape) {
				return fmt.Errorf("%s%%%d (%s): stored type %s, shape rule says %s", where, n.ID(), n.Op().Name(), got, t)
			}
		}
		return nil
	}
	return check(graph.Needed(outs), "")
}
