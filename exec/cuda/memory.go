package cuda

import (
	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// memory is a plan's device memory plan (exec/memplan) over its steps: a
// step's result goes into an operand that dies at it (elementwise kernels
// read element i before writing it), into a slot of the plan's arena (one
// device allocation, kept from run to run) or, for outputs and host steps,
// into a buffer of its own from the pool.
type memory struct {
	plan  *memplan.Plan
	step0 int     // the value index of step 0 (feeds and constants come first)
	offs  []int64 // per slot: its byte offset in the arena
	size  int64
	arena *buffer // allocated by the first run that needs it
}

// planMemory describes p's values to the planner: feeds and constants, then
// one value per step, reading its step's operands (a fused kernel's leaves).
func planMemory(p *plan) *memory {
	index := map[*graph.Node]int{}
	var vals []memplan.Value
	fed := func(n *graph.Node) {
		index[n] = len(vals)
		vals = append(vals, memplan.Value{Kind: memplan.Fed, Bytes: nodeBytes(n), DType: n.DType()})
	}
	for _, n := range p.inputs {
		fed(n)
	}
	for _, n := range p.order {
		if _, ok := p.consts[n]; ok {
			fed(n)
		}
	}
	m := &memory{step0: len(vals)}
	for _, s := range p.steps {
		v := memplan.Value{Bytes: nodeBytes(s.n), DType: s.n.DType(), Slotted: !s.host && !s.view, Overwrites: s.inplace}
		if s.view {
			v.Kind = memplan.View
		}
		for _, a := range s.args {
			v.Reads = append(v.Reads, index[a])
		}
		index[s.n] = len(vals)
		vals = append(vals, v)
	}
	outs := make([]int, len(p.outs))
	for k, o := range p.outs {
		outs[k] = index[o]
	}
	m.plan = memplan.New(vals, outs)
	for _, b := range m.plan.SlotBytes() {
		m.offs = append(m.offs, m.size)
		m.size += (b + 255) / 256 * 256
	}
	return m
}

func nodeBytes(n *graph.Node) int64 { return int64(dense.Size(n.Shape()) * elemBytes(n.DType())) }

// out is the buffer step r.step writes n's value into, as the memory plan
// says where it still holds: the plan assumed each step's operands are its
// values, and a feed, a constant or a value still viewed elsewhere is never
// written over.
func (r *run) out(n *graph.Node) (*Tensor, error) {
	m := r.p.mem
	v := m.step0 + r.step
	if k := m.plan.InPlace(v); k >= 0 && k < len(r.in) {
		t := r.in[k]
		if t != nil && !r.borrowed[t.buf] && t.buf.refs == 1 && t.bytes() == nodeBytes(n) && t.dt == n.DType() &&
			!(t.buf.slot && m.plan.Escapes(v)) {
			return t.view(n.Shape()), nil
		}
	}
	if s := m.plan.Slot(v); s >= 0 && !m.plan.Escapes(v) {
		if m.arena == nil {
			a, err := r.e.alloc(m.size)
			if err != nil {
				return nil, err
			}
			m.arena = a
		}
		b := &buffer{ptr: m.arena.ptr + uint64(m.offs[s]), bytes: m.plan.SlotBytes()[s], refs: 1, slot: true}
		return &Tensor{e: r.e, buf: b, dt: n.DType(), shape: append([]int(nil), n.Shape()...)}, nil
	}
	return r.e.newTensor(n.DType(), n.Shape())
}

// free returns the arena to the pool (on the owner thread).
func (m *memory) free(e *engine) {
	if m.arena != nil {
		e.release(m.arena)
		m.arena = nil
	}
}
