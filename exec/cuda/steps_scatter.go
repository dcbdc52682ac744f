package cuda

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// scatterStep adds slices into a zero table (not yet on the device).
func scatterStep(n *graph.Node, op *graph.Scatter) (*step, error) {
	return nil, noKernel(n, "")
}

// unselectStep places a selection back into zeros (not yet on the device).
func unselectStep(n *graph.Node, op *graph.Unselect) (*step, error) {
	return nil, noKernel(n, "")
}

// einsumStep is a general contraction left by the optimizer (not yet on the device).
func einsumStep(n *graph.Node, op *nodes.EinsumOp) (*step, error) {
	return nil, noKernel(n, "")
}
