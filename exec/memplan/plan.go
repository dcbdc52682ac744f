package memplan

import (
	"slices"

	"gorgonia.org/tensor"
)

// Kind says how a value gets its memory.
type Kind int

const (
	// Computed values are written by a kernel into a buffer of their own,
	// an operand's (in place) or an arena slot.
	Computed Kind = iota
	// Fed values (feeds, constants) come from outside and are never
	// written over, unless Donated.
	Fed
	// View values share Reads[0]'s buffer (a reshape).
	View
)

// Value is one value of a program, in the order it is computed.
type Value struct {
	Kind  Kind
	Reads []int // the earlier values its kernel reads (indices)
	Bytes int64
	DType tensor.Dtype
	// Slotted kernels write whatever buffer they are handed, so an arena
	// slot saves them an allocation.
	Slotted bool
	// Overwrites: the kernel may write its result over an operand of the
	// same size and dtype, each element computed before it is written.
	Overwrites bool
	// Over, when not nil, lists the positions in Reads the kernel may
	// write over (a fused GEMM's epilogue operands, not its factors; a
	// fused kernel's operands read in place, not those read permuted).
	Over []int
	// Scratch is memory the kernel needs while it runs when it writes over
	// an operand (a fused GEMM's product, kept apart from the operand its
	// epilogue reads): an arena slot, live for that kernel only.
	Scratch int64
	// Donated marks a Fed value whose buffer the program may take over
	// (exec.Donate): a value that overwrites it where nothing reads it
	// later lives in its memory, an output included.
	Donated bool
}

// overwrites reports whether v's kernel may write over Reads[k].
func (v *Value) overwrites(k int) bool {
	return v.Overwrites && (v.Over == nil || slices.Contains(v.Over, k))
}

// Plan is a program's buffer assignment.
type Plan struct {
	last      []int   // per value: index of its last reader (len: kept)
	inplace   []int   // per value: the position in Reads of the operand it overwrites, or -1
	slot      []int   // per value: the arena slot it writes, or -1
	scratch   []int   // per value: the arena slot of its Scratch, or -1
	escapes   []bool  // per value: its buffer is (or is viewed by) an output
	donor     []int   // per value: the donated feed whose memory it lives in, or -1
	slotBytes []int64 // per slot
	peak      int64   // the most bytes of computed values live at once
	buffers   int     // distinct buffers (after in-place merging)
	inPlace   int     // values computed in place
}

// New plans vals computing the outputs outs (indices into vals).
func New(vals []Value, outs []int) *Plan {
	N := len(vals)
	p := &Plan{last: make([]int, N), inplace: make([]int, N), slot: make([]int, N), scratch: make([]int, N), escapes: make([]bool, N), donor: make([]int, N)}
	// buf[i] is the buffer value i lives in (-1: fed, not donated), named
	// by the value that first wrote it (or the donated feed); parent
	// merges in-place chains.
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
	for i, v := range vals {
		parent[i] = i
		p.inplace[i], p.slot[i], p.scratch[i] = -1, -1, -1
		switch {
		case v.Kind == Fed && !v.Donated:
			buf[i] = -1
		case v.Kind == View && len(v.Reads) > 0:
			buf[i] = buf[v.Reads[0]]
		default:
			buf[i] = i
		}
		end[i] = i
	}
	for i, v := range vals {
		for _, x := range v.Reads {
			if b := buf[x]; b >= 0 {
				end[b] = max(end[b], i)
			}
		}
	}
	esc := make([]bool, N)
	for _, o := range outs {
		if b := buf[o]; b >= 0 {
			esc[b] = true
			end[b] = N
		}
	}
	// In place: a value takes over an operand's buffer that nothing reads
	// after it, of its own size and dtype (a donated feed's included).
	for i, v := range vals {
		if buf[i] != i || !v.Overwrites || v.Kind != Computed {
			continue
		}
		for k, x := range v.Reads {
			b := buf[x]
			if b < 0 || !v.overwrites(k) || end[find(b)] != i || vals[x].DType != v.DType || vals[x].Bytes != v.Bytes || v.Bytes == 0 {
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
	p.assignSlots(vals, buf, find, end, esc)
	for i, v := range vals {
		p.last[i], p.donor[i] = N, -1
		if buf[i] >= 0 {
			r := find(buf[i])
			p.escapes[i] = esc[r]
			if vals[r].Kind == Fed {
				p.donor[i] = r
			}
		}
		for _, x := range v.Reads {
			p.last[x] = i
		}
	}
	for _, o := range outs {
		p.last[o] = N
	}
	return p
}

// assignSlots gives each merged buffer its lifetime, then a slot: best fit
// among the slots free before the buffer's first write.
func (p *Plan) assignSlots(vals []Value, buf []int, find func(int) int, end []int, esc []bool) {
	N := len(vals)
	type life struct {
		first, end int
		bytes      int64
		esc, arena bool
	}
	// A donated feed's memory is the caller's: the values written over it
	// need neither new memory nor a slot.
	lives := map[int]*life{}
	for i, v := range vals {
		if buf[i] < 0 || vals[find(buf[i])].Kind == Fed {
			continue
		}
		r := find(buf[i])
		l := lives[r]
		if l == nil {
			l = &life{first: i, end: end[r], esc: esc[r], arena: buf[i] == i && v.Slotted}
			lives[r] = l
		}
		l.bytes = max(l.bytes, v.Bytes)
	}
	p.buffers = len(lives)
	busyUntil := []int{} // per slot: the last reader of its current buffer
	var live int64
	release := make([][]int64, N+1)
	// take gives a buffer of bytes, first written at i and last read at
	// end, a slot.
	take := func(i, end int, bytes int64) int {
		best := -1
		for s, until := range busyUntil {
			if until < i && (best < 0 || fitsBetter(p.slotBytes, s, best, bytes)) {
				best = s
			}
		}
		if best < 0 {
			p.slotBytes = append(p.slotBytes, 0)
			busyUntil = append(busyUntil, 0)
			best = len(p.slotBytes) - 1
		}
		p.slotBytes[best] = max(p.slotBytes[best], bytes)
		busyUntil[best] = end
		return best
	}
	for i, v := range vals {
		if b := buf[i]; b == i && find(b) == i && lives[i] != nil {
			l := lives[i]
			live += l.bytes
			release[min(l.end, N)] = append(release[min(l.end, N)], l.bytes)
			if l.arena && !l.esc && l.bytes > 0 {
				p.slot[i] = take(i, l.end, l.bytes)
			}
		}
		if p.inplace[i] >= 0 && v.Scratch > 0 {
			p.scratch[i] = take(i, i, v.Scratch)
			live += v.Scratch
			release[i] = append(release[i], v.Scratch)
		}
		p.peak = max(p.peak, live)
		for _, b := range release[i] {
			live -= b
		}
	}
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

// InPlace is the position in value i's Reads of the operand it overwrites,
// or -1.
func (p *Plan) InPlace(i int) int { return p.inplace[i] }

// Donor is the donated feed (a value index) whose memory value i is
// written into, directly or through a chain of in-place writes, or -1. A
// donated feed is its own donor.
func (p *Plan) Donor(i int) int { return p.donor[i] }

// Scratch is the arena slot of value i's Scratch memory (when it is
// computed in place), or -1.
func (p *Plan) Scratch(i int) int { return p.scratch[i] }

// Slot is the arena slot value i is written into, or -1 (its own buffer).
func (p *Plan) Slot(i int) int { return p.slot[i] }

// Escapes reports whether value i's buffer is, or is viewed by, an output.
func (p *Plan) Escapes(i int) bool { return p.escapes[i] }

// Last is the index of value i's last reader (the number of values for
// one kept to the end: an output).
func (p *Plan) Last(i int) int { return p.last[i] }

// SlotBytes is the size of each arena slot.
func (p *Plan) SlotBytes() []int64 { return p.slotBytes }

// PeakBytes is the most memory the program's computed values hold at once
// (feeds and constants not counted), in-place writes and shared views
// counted once.
func (p *Plan) PeakBytes() int64 { return p.peak }

// ArenaBytes is the memory a run reuses from one run to the next.
func (p *Plan) ArenaBytes() int64 {
	var s int64
	for _, b := range p.slotBytes {
		s += b
	}
	return s
}

// Stats summarizes the plan: distinct buffers, values computed in place,
// arena slots.
func (p *Plan) Stats() (buffers, inPlace, slots int) {
	return p.buffers, p.inPlace, len(p.slotBytes)
}
