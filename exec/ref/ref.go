// Package ref is loom's reference interpreter: every op evaluated by its own
// Eval rule, one node at a time, loops run index by index. It is simple on
// purpose — the living definition of every op and the oracle the optimized
// backends are tested against.
package ref

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
)

// Backend evaluates programs with the reference rules.
type Backend struct{}

// Name is "ref".
func (Backend) Name() string { return "ref" }

// Run evaluates order (top-level nodes in topological order); env holds the
// feeds and receives every computed value.
func (Backend) Run(order, _ []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	return graph.Interpret(order, env)
}
