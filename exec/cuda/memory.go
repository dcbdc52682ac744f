package cuda

import (
	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
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
	// donated are the inputs whose buffers the plan may take over
	// (exec.Donate); vals names each value's node.
	donated map[*graph.Node]bool
	vals    []*graph.Node
}

// planMemory describes p's values to the planner: feeds and constants, then
// one value per step, reading its step's operands (a fused kernel's leaves).
// The donated inputs' buffers may be taken over.
func planMemory(p *plan, donated ...*graph.Node) *memory {
	m := &memory{donated: map[*graph.Node]bool{}}
	for _, n := range donated {
		m.donated[n] = true
	}
	index := map[*graph.Node]int{}
	var vals []memplan.Value
	fed := func(n *graph.Node) {
		index[n] = len(vals)
		m.vals = append(m.vals, n)
		vals = append(vals, memplan.Value{Kind: memplan.Fed, Bytes: nodeBytes(n), DType: n.DType(), Donated: m.donated[n]})
	}
	for _, n := range p.inputs {
		fed(n)
	}
	for _, n := range p.order {
		if _, ok := p.consts[n]; ok {
			fed(n)
		}
	}
	m.step0 = len(vals)
	for _, s := range p.steps {
		v := memplan.Value{Bytes: nodeBytes(s.n), DType: s.n.DType(), Slotted: !s.host && !s.view, Overwrites: s.inplace}
		if s.view {
			v.Kind = memplan.View
		} else if !s.host {
			overFused(&v, s.n)
		}
		for _, a := range s.args {
			v.Reads = append(v.Reads, index[a])
		}
		index[s.n] = len(vals)
		m.vals = append(m.vals, s.n)
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

// overFused lets the optimizer's fused kernels without a tail write over
// the operands they read in place (each thread loads its elements, then
// stores them); a fused GEMM's epilogue reads the product from a buffer of
// its own, so it may write over its epilogue operands, never the factors.
func overFused(v *memplan.Value, n *graph.Node) {
	var e *nodes.FusedOp
	first := 0 // the node input of e's operand 0
	switch op := n.Op().(type) {
	case *nodes.FusedOp:
		e = op
	case *nodes.FusedMatMulOp:
		e, first = op.Epi, 1
	default:
		return
	}
	if e.Tail.Kind != nodes.TailNone {
		return
	}
	v.Overwrites, v.Over = true, []int{}
	for k, in := range e.Inputs {
		if (first == 0 || k > 0) && in.Full(e.Shape) {
			v.Over = append(v.Over, k+first)
		}
	}
}

// donorOf is the donated input whose buffer n's value is written into, or
// nil.
func (m *memory) donorOf(n *graph.Node) *graph.Node {
	for i, x := range m.vals {
		if x == n {
			if d := m.plan.Donor(i); d >= 0 {
				return m.vals[d]
			}
			return nil
		}
	}
	return nil
}

// DonorOf is the donated input (exec.Donate) whose device memory the
// prepared program writes n's value into — the new weights over the old —
// or nil.
func (b *Backend) DonorOf(n *graph.Node) *graph.Node {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plan == nil {
		return nil
	}
	return b.plan.mem.donorOf(n)
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
