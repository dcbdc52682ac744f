package exec

import (
	"github.com/loomtensor/loom/exec/cpu"
	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
)

// PeakBytes is the most memory a Run holds at once for the values it
// computes (feeds and constants not counted), as the memory plan lays them
// out: each value lives from its kernel to its last reader (outputs to the
// end), reshapes share their operand's buffer, and an elementwise kernel
// whose operand dies there writes over it. The CPU and CUDA backends run
// exactly their plans; the reference interpreter is estimated with the CPU's.
func (p *Program) PeakBytes() int64 { return p.plan().PeakBytes() }

// planned is a backend that runs a memory plan: the CPU's and CUDA's.
type planned interface {
	MemoryPlan() *memplan.Plan         // nil before the program is prepared
	DonorOf(n *graph.Node) *graph.Node // the donated input n is written over, or nil
}

// plan is the backend's memory plan, or the CPU's made for this estimate.
func (p *Program) plan() *memplan.Plan {
	if b, ok := p.backend.(planned); ok {
		if m := b.MemoryPlan(); m != nil {
			return m
		}
	}
	return cpu.NewPlan(p.order, p.outs).Plan
}
