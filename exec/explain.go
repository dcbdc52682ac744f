package exec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Explain describes the program the backend runs, for a person: a summary
// (kernels, loops kept, planned memory), the inputs, where each of the
// user's loops went, every kernel with what it fused, its shape (with the
// loop axes' names where known), its estimated FLOPs and bytes, and then the
// optimized program itself.
func (p *Program) Explain() string {
	var b strings.Builder
	kernels, fusedOps := 0, 0
	var kept []string
	for _, n := range p.order {
		if l, ok := n.Op().(*graph.LoopOp); ok {
			why := l.Residual
			if why == "" {
				why = "loops are not lowered on this backend"
			}
			kept = append(kept, fmt.Sprintf("  %%%d loop over %s at %s: %s", n.ID(), l.Axis, n.Site(), why))
		}
		if !free(n) {
			kernels++
		}
		if ops := fusedOf(n); len(ops) > 1 {
			fusedOps++
		}
	}
	plan := p.plan()
	bufs, inPlace, slots := plan.Stats()
	fmt.Fprintf(&b, "program on %s: %d nodes, %d kernels (%d fused), %d loops remain, peak %s of computed values\n",
		p.backend.Name(), len(p.order), kernels, fusedOps, len(kept), human(plan.PeakBytes(), "B"))
	fmt.Fprintf(&b, "memory plan: %d buffers, %d kernels writing over a dead operand, %d arena slots (%s reused from run to run)\n",
		bufs, inPlace, slots, human(plan.ArenaBytes(), "B"))
	for _, k := range kept {
		b.WriteString(k + "\n")
	}
	if gpu, ok := p.backend.(*cuda.Backend); ok {
		if h := gpu.HostOps(); len(h) > 0 {
			fmt.Fprintf(&b, "on the host (operands copied across the bus): %s\n", strings.Join(h, ", "))
		}
	}
	var names []string
	for _, in := range p.inputs {
		if p.needed[in] {
			names = append(names, fmt.Sprintf("%s %s", in.Op().(*graph.Input).Label, in.Type()))
		}
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "inputs: %s\n", strings.Join(names, ", "))
	b.WriteString(p.donations())
	b.WriteString(p.loopsWent())
	b.WriteString(p.costTable())
	b.WriteString(graph.Format(p.outs...))
	return b.String()
}

// free reports nodes that run no kernel: inputs, constants and reshapes.
func free(n *graph.Node) bool {
	switch n.Op().(type) {
	case *graph.Input, *graph.Const, *graph.Param, *nodes.ReshapeOp, *nodes.RavelOp:
		return true
	}
	return false
}

// fusedOf lists the ops a kernel computes: several for a fused kernel.
func fusedOf(n *graph.Node) []string {
	switch op := n.Op().(type) {
	case *nodes.FusedOp:
		return op.Ops()
	case *nodes.FusedMatMulOp:
		return append([]string{op.MM.Name()}, op.Epi.Ops()...)
	}
	return []string{n.Op().Name()}
}

// loopsWent says, for each loop the user wrote, which kernels its body
// became (kernels built from a line inside the loop), or why it was kept.
func (p *Program) loopsWent() string {
	type loop struct {
		name, site string
		sites      map[string]bool
	}
	var loops []*loop
	byKey := map[string]*loop{}
	var walk func(ns []*graph.Node, enclosing []*loop)
	seen := map[*graph.Node]bool{}
	walk = func(ns []*graph.Node, enclosing []*loop) {
		for _, n := range ns {
			if seen[n] {
				continue
			}
			seen[n] = true
			for _, l := range enclosing {
				l.sites[n.Site()] = true
			}
			if lo, ok := n.Op().(*graph.LoopOp); ok {
				// A gradient replays its forward loop at the same line:
				// one entry per loop the user wrote.
				key := lo.Axis.String() + " at " + n.Site()
				l := byKey[key]
				if l == nil {
					l = &loop{name: lo.Axis.String(), site: n.Site(), sites: map[string]bool{}}
					byKey[key] = l
					loops = append(loops, l)
				}
				walk(lo.Body.Nodes, append(enclosing, l))
			}
		}
	}
	walk(graph.Needed(p.src), nil)
	if len(loops) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("loops:\n")
	for _, l := range loops {
		var into []string
		for _, n := range p.order {
			if !free(n) && l.sites[n.Site()] {
				if lo, ok := n.Op().(*graph.LoopOp); ok && lo.Axis.String() == l.name {
					into = []string{fmt.Sprintf("kept as loop %%%d", n.ID())}
					break
				}
				into = append(into, fmt.Sprintf("%%%d %s", n.ID(), n.Op().Name()))
			}
		}
		where := "lowered into " + strings.Join(into, ", ")
		switch {
		case len(into) == 0:
			where = "lowered; its work merged into kernels built elsewhere"
		case strings.HasPrefix(into[0], "kept"):
			where = into[0]
		}
		fmt.Fprintf(&b, "  %s at %s: %s\n", l.name, l.site, where)
	}
	return b.String()
}

// typeOf is n's type, with the axis names of the user's output it computes
// when lowering dropped them.
func (p *Program) typeOf(n *graph.Node) graph.Type {
	t := n.Type()
	for _, l := range t.Labels {
		if l != nil {
			return t
		}
	}
	for k, o := range p.outs {
		if o == n && k < len(p.src) && graph.SameShape(p.src[k].Type(), t) {
			t.Labels = p.src[k].Type().Labels
		}
	}
	return t
}
