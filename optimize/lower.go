package optimize

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/vmap"
)

// lower runs first: every later pass works on batched primitives.
func lower(outs []*graph.Node) ([]*graph.Node, error) { return vmap.Lower(outs) }
