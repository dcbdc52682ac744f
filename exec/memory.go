package exec

import (
	"github.com/loomtensor/loom/exec/cpu"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// PeakBytes estimates the most memory a Run holds at once for the values it
// computes (feeds and constants not counted): each value lives from its node
// to its last consumer, outputs to the end; reshapes share their operand's
// buffer. It is the figure the CPU backend's release-after-last-use achieves
// before garbage-collector slack.
func (p *Program) PeakBytes() int64 {
	last := cpu.LastUse(p.order, p.outs)
	free := make([][]*graph.Node, len(p.order)+1)
	for n, i := range last {
		free[i] = append(free[i], n)
	}
	var live, peak int64
	size := map[*graph.Node]int64{}
	for i, n := range p.order {
		switch n.Op().(type) {
		case *graph.Input, *graph.Const, *nodes.ReshapeOp, *nodes.RavelOp:
		default:
			t := n.Type()
			size[n] = int64(t.Size()) * int64(t.DType.Size())
			live += size[n]
		}
		peak = max(peak, live)
		for _, x := range free[i] {
			live -= size[x]
		}
	}
	return peak
}
