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
