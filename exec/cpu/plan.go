package cpu

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Memory planning, done once when a program is compiled: every value a
// kernel computes gets a buffer; a reshape shares its operand's; an
// elementwise kernel whose operand dies at it writes over that operand (in
// place); and buffers whose lifetimes do not overlap share one slot of an
// arena that Runs reuse, so a steady-state Run allocates only its outputs.

// Plan is a program's buffer assignment.
type Plan struct {
	order, outs []*graph.Node
	at          map[*graph.Node]int
	last        []int   // per node: index of its last reader (len(order): kept)
	inplace     []int   // per node: the operand whose buffer it overwrites, or -1
	slot        []int   // per node: the arena slot it writes, or -1
	escapes     []bool  // per node: its buffer is (or is viewed by) an output
	slotBytes   []int64 // per slot
	peak        int64   // the most bytes of computed values live at once
	buffers     int     // distinct buffers (after in-place merging)
	inPlace     int     // nodes computed in place
}

// slotted reports ops whose kernels write the buffer they are handed
// (reuse), so an arena slot saves them an allocation.
func slotted(op graph.Op) bool {
	switch op.(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.SoftmaxOp, *nodes.FusedOp, *nodes.FusedMatMulOp,
		*nodes.MatMulOp, *nodes.BatchMatMulOp, *nodes.TransposeOp:
		return true
	}
	return false
}

// overwrites reports ops whose kernels may write their result over an
// operand of the same size: each output element is computed from the same
// element of that operand (and anything else) before it is written.
func overwrites(n *graph.Node) bool {
	switch op := n.Op().(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.SoftmaxOp:
		return true
	case *nodes.FusedOp:
		return op.Tail.Kind != nodes.TailReduce
	}
	return false
}

func isView(op graph.Op) bool {
	switch op.(type) {
	case *nodes.ReshapeOp, *nodes.RavelOp:
		return true
	}
	return false
}

func bytesOf(n *graph.Node) int64 {
	t := n.Type()
	return int64(t.Size()) * int64(t.DType.Size())
}

// NewPlan plans order (topological) computing outs.
func NewPlan(order, outs []*graph.Node) *Plan {
	N := len(order)
	at := make(map[*graph.Node]int, N)
	p := &Plan{order: order, outs: outs, at: at, last: make([]int, N), inplace: make([]int, N),
		slot: make([]int, N), escapes: make([]bool, N)}
	// buf[i] is the buffer node i's value lives in (-1: a feed or constant),
	// named by the node that first wrote it; parent merges in-place chains.
	buf := make([]int, N)
	parent := make([]int, N)
	var find func(b int) int
	find = func(b int) int {
		for parent[b] != b {
			parent[b] = parent[parent[b]]
			b = parent[b]
		}
		return b
	}
	end := make([]int, N) // per buffer: its last reader
	for i, n := range order {
		at[n] = i
		parent[i] = i
		p.inplace[i], p.slot[i] = -1, -1
		switch {
		case isInput(n.Op()):
			buf[i] = -1
		case isView(n.Op()):
			buf[i] = buf[at[n.Inputs()[0]]]
		default:
			buf[i] = i
		}
		end[i] = i
	}
	for i, n := range order {
		for _, x := range n.Inputs() {
			if b := buf[at[x]]; b >= 0 {
				end[b] = max(end[b], i)
			}
		}
	}
	esc := make([]bool, N)
	for _, o := range outs {
		if b := buf[at[o]]; b >= 0 {
			esc[b] = true
			end[b] = N
		}
	}
	// In place: a node takes over an operand's buffer that nothing reads
	// after it, of its own size and dtype.
	for i, n := range order {
		if buf[i] != i || !overwrites(n) {
			continue
		}
		for k, x := range n.Inputs() {
			j := at[x]
			b := buf[j]
			if b < 0 || end[find(b)] != i || x.DType() != n.DType() || bytesOf(x) != bytesOf(n) || bytesOf(n) == 0 {
				continue
			}
			r := find(b)
			parent[i] = r
			end[r], esc[r] = end[i], esc[r] || esc[i]
			p.inplace[i] = k
			p.inPlace++
			break
		}
	}
	// Lifetimes per merged buffer, then slots: best fit among the slots
	// free before the buffer's first write.
	type life struct {
		first, end int
		bytes      int64
		esc, arena bool
	}
	lives := map[int]*life{}
	for i, n := range order {
		if buf[i] < 0 {
			continue
		}
		r := find(buf[i])
		l := lives[r]
		if l == nil {
			l = &life{first: i, end: end[r], esc: esc[r], arena: buf[i] == i && slotted(n.Op())}
			lives[r] = l
		}
		l.bytes = max(l.bytes, bytesOf(n))
	}
	p.buffers = len(lives)
	busyUntil := []int{} // per slot: the last reader of its current buffer
	var live int64
	release := make([][]int64, N+1)
	for i := range order {
		if b := buf[i]; b == i && find(b) == i {
			l := lives[i]
			live += l.bytes
			release[min(l.end, N)] = append(release[min(l.end, N)], l.bytes)
			if l.arena && !l.esc && l.bytes > 0 {
				best := -1
				for s, until := range busyUntil {
					if until < i && (best < 0 || fitsBetter(p.slotBytes, s, best, l.bytes)) {
						best = s
					}
				}
				if best < 0 {
					p.slotBytes = append(p.slotBytes, 0)
					busyUntil = append(busyUntil, 0)
					best = len(p.slotBytes) - 1
				}
				p.slotBytes[best] = max(p.slotBytes[best], l.bytes)
				busyUntil[best] = l.end
				p.slot[i] = best
			}
		}
		p.peak = max(p.peak, live)
		for _, b := range release[i] {
			live -= b
		}
	}
	for i, n := range order {
		p.last[i] = N
		if buf[i] >= 0 {
			p.escapes[i] = esc[find(buf[i])]
		}
		for _, x := range n.Inputs() {
			p.last[at[x]] = i
		}
	}
	for _, o := range outs {
		p.last[at[o]] = N
	}
	return p
}

// fitsBetter prefers, for a buffer of want bytes, a slot already big
// enough (the smallest such), else the biggest (it grows least).
func fitsBetter(size []int64, s, best int, want int64) bool {
	a, b := size[s] >= want, size[best] >= want
	switch {
	case a && b:
		return size[s] < size[best]
	case a != b:
		return a
	}
	return size[s] > size[best]
}

func isInput(op graph.Op) bool {
	switch op.(type) {
	case *graph.Input, *graph.Const, *graph.Param:
		return true
	}
	return false
}

// PeakBytes is the most memory the program's computed values hold at once
// (feeds and constants not counted), in-place writes and shared reshapes
// counted once.
func (p *Plan) PeakBytes() int64 { return p.peak }

// ArenaBytes is the memory a Run reuses from one run to the next.
func (p *Plan) ArenaBytes() int64 {
	var s int64
	for _, b := range p.slotBytes {
		s += b
	}
	return s
}

// Stats summarizes the plan: distinct buffers, nodes computed in place,
// arena slots.
func (p *Plan) Stats() (buffers, inPlace, slots int) {
	return p.buffers, p.inPlace, len(p.slotBytes)
}
