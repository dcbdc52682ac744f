package exec

import "github.com/loomtensor/loom/exec/cpu"

// PeakBytes is the most memory a Run holds at once for the values it
// computes (feeds and constants not counted), as the memory plan lays them
// out: each value lives from its kernel to its last reader (outputs to the
// end), reshapes share their operand's buffer, and an elementwise kernel
// whose operand dies there writes over it. The CPU backend runs exactly this
// plan; other backends are estimated with it.
func (p *Program) PeakBytes() int64 { return p.plan().PeakBytes() }

// plan is the CPU backend's plan, or one made for this estimate.
func (p *Program) plan() *cpu.Plan {
	if c, ok := p.backend.(*cpu.Compiled); ok {
		return c.Plan()
	}
	return cpu.NewPlan(p.order, p.outs)
}
