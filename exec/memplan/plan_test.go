package memplan

import (
	"testing"

	"gorgonia.org/tensor"
)

func val(kind Kind, bytes int64, slotted, over bool, reads ...int) Value {
	return Value{Kind: kind, Reads: reads, Bytes: bytes, DType: tensor.Float32, Slotted: slotted, Overwrites: over}
}

// A chain of kernels that may overwrite their operand runs in one buffer;
// the feed is never written over, and the output's buffer is its own.
func TestChainInPlace(t *testing.T) {
	p := New([]Value{
		val(Fed, 400, false, false),
		val(Computed, 400, true, true, 0),
		val(Computed, 400, true, true, 1),
		val(Computed, 400, true, true, 2),
	}, []int{3})
	if got := [3]int{p.InPlace(1), p.InPlace(2), p.InPlace(3)}; got != [3]int{-1, 0, 0} {
		t.Fatalf("in place: %v, want [-1 0 0]", got)
	}
	if b, ip, s := p.Stats(); b != 1 || ip != 2 || s != 0 {
		t.Fatalf("stats: %d buffers, %d in place, %d slots; want 1, 2, 0", b, ip, s)
	}
	if p.PeakBytes() != 400 || !p.Escapes(1) {
		t.Fatalf("peak %d, escapes %v", p.PeakBytes(), p.Escapes(1))
	}
}

// A buffer written while another is still read gets a slot of its own; a
// size mismatch stops an in-place write; a buffer an output writes over is
// the output's (no slot); the last reader of each value is recorded.
func TestSlots(t *testing.T) {
	p := New([]Value{
		val(Fed, 100, false, false),
		val(Computed, 100, true, false, 0),   // 1: a
		val(Computed, 200, true, true, 1),    // 2: b, reads a (size differs: not in place)
		val(Computed, 100, true, true, 2, 0), // 3: c, reads b and the feed
		val(Computed, 100, false, false, 3),  // 4: d, not slotted
		val(Computed, 100, true, true, 3, 4), // 5: out, c still read by it: may overwrite c (dies here)
	}, []int{5})
	for i, want := range []int{-1, 0, 1, -1, -1, -1} { // c merges with the output: its own buffer
		if p.Slot(i) != want {
			t.Errorf("value %d: slot %d, want %d", i, p.Slot(i), want)
		}
	}
	if p.InPlace(2) != -1 || p.InPlace(5) != 0 {
		t.Errorf("in place: b %d (want -1), out %d (want 0: over c)", p.InPlace(2), p.InPlace(5))
	}
	if p.Last(1) != 2 || p.Last(3) != 5 || p.Last(5) != 6 {
		t.Errorf("last readers: %d %d %d, want 2 5 6", p.Last(1), p.Last(3), p.Last(5))
	}
	if p.ArenaBytes() != 300 {
		t.Errorf("arena %d bytes, want 300", p.ArenaBytes())
	}
}

// A view keeps its operand's buffer alive and makes it an output's when
// the view is one: no slot, no in-place write over it while readable.
func TestViewsKeepBuffers(t *testing.T) {
	p := New([]Value{
		val(Fed, 48, false, false),
		val(Computed, 48, true, true, 0), // a
		val(View, 48, false, false, 1),   // reshape of a (output)
		val(Computed, 48, true, true, 1), // neg a (output)
	}, []int{2, 3})
	if p.Slot(1) != -1 || !p.Escapes(1) || p.InPlace(3) != -1 {
		t.Fatalf("slot %d, escapes %v, in place %d; want -1, true, -1", p.Slot(1), p.Escapes(1), p.InPlace(3))
	}
}

// A slot whose buffer is dead is reused, the best fit first.
func TestSlotReuse(t *testing.T) {
	p := New([]Value{
		val(Fed, 64, false, false),
		val(Computed, 64, true, false, 0), // a: slot 0
		val(Computed, 32, true, false, 1), // b: slot 1 (a is read now)
		val(Computed, 64, true, false, 2), // c: a is dead, slot 0 fits
		val(Computed, 32, true, false, 3), // d: b is dead, slot 1 fits exactly
		val(Computed, 64, true, false, 4), // out
	}, []int{5})
	for i, want := range []int{-1, 0, 1, 0, 1, -1} {
		if p.Slot(i) != want {
			t.Errorf("value %d: slot %d, want %d", i, p.Slot(i), want)
		}
	}
	if p.ArenaBytes() != 96 || p.PeakBytes() != 96 {
		t.Errorf("arena %d, peak %d; want 96, 96", p.ArenaBytes(), p.PeakBytes())
	}
}
