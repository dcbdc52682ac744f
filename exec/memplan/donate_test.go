package memplan

import (
	"testing"

	"gorgonia.org/tensor"
)

func donated(bytes int64) Value {
	return Value{Kind: Fed, Bytes: bytes, DType: tensor.Float32, Donated: true}
}

// The SGD update w - lr·g: the new weights (an output) are written over
// the donated w, so the step needs no memory for them; g, not donated,
// keeps its memory; a kernel that only reads g leaves it alone.
func TestDonatedOutput(t *testing.T) {
	p := New([]Value{
		donated(400),                         // 0: w
		val(Fed, 400, false, false),          // 1: g
		val(Computed, 400, true, true, 0, 1), // 2: w - lr·g (output)
		val(Computed, 400, true, true, 1),    // 3: |g| (output)
	}, []int{2, 3})
	if p.InPlace(2) != 0 || p.Donor(2) != 0 || p.Donor(0) != 0 {
		t.Fatalf("update: in place %d (want 0, over w), donor %d (want 0), w's donor %d (want 0)", p.InPlace(2), p.Donor(2), p.Donor(0))
	}
	if p.InPlace(3) != -1 || p.Donor(3) != -1 || p.Donor(1) != -1 {
		t.Fatalf("|g|: in place %d, donor %d, g's donor %d; want -1 each (g is not donated)", p.InPlace(3), p.Donor(3), p.Donor(1))
	}
	if !p.Escapes(0) || !p.Escapes(2) {
		t.Fatalf("w's memory holds an output: escapes %v %v, want true true", p.Escapes(0), p.Escapes(2))
	}
	if b, ip, s := p.Stats(); b != 1 || ip != 1 || s != 0 || p.PeakBytes() != 400 {
		t.Fatalf("stats %d buffers, %d in place, %d slots, peak %d; want 1, 1, 0, 400 (only |g| needs memory)", b, ip, s, p.PeakBytes())
	}
}

// A donated feed read after the kernel that could overwrite it is not
// taken over there; its last reader takes it instead.
func TestDonatedReadLater(t *testing.T) {
	p := New([]Value{
		donated(64),                          // 0: w
		val(Computed, 64, true, true, 0),     // 1: exp w
		val(Computed, 64, true, true, 1, 0),  // 2: exp w · w: w and exp w die here
		val(Computed, 64, true, false, 2, 2), // 3: not in place (no Overwrites)
	}, []int{3})
	if p.InPlace(1) != -1 {
		t.Fatalf("exp w written over w, which is read later")
	}
	if p.InPlace(2) != 0 || p.Donor(2) != -1 {
		t.Fatalf("value 2: in place %d donor %d, want 0 (over exp w, a computed buffer) and -1", p.InPlace(2), p.Donor(2))
	}
	// Reads listed the other way round: the first dying operand is taken.
	q := New([]Value{
		donated(64),
		val(Computed, 64, true, true, 0),
		val(Computed, 64, true, true, 0, 1),
	}, []int{2})
	if q.InPlace(2) != 0 || q.Donor(2) != 0 {
		t.Fatalf("value 2: in place %d donor %d, want 0 and 0 (over w)", q.InPlace(2), q.Donor(2))
	}
}

// A donated feed that is itself an output, or viewed by one, is never
// written over; one viewed by a reshape is taken over through the view
// once the view's readers are done; chains of in-place writes keep the
// donor.
func TestDonatedViewsAndChains(t *testing.T) {
	p := New([]Value{
		donated(32),                      // 0: w, an output
		val(Computed, 32, true, true, 0), // 1
	}, []int{0, 1})
	if p.InPlace(1) != -1 || p.Donor(1) != -1 {
		t.Fatalf("an output's memory was written over: in place %d, donor %d", p.InPlace(1), p.Donor(1))
	}
	q := New([]Value{
		donated(32),                      // 0: w
		val(View, 32, false, false, 0),   // 1: reshape w
		val(Computed, 32, true, true, 1), // 2: over the view, so over w
		val(Computed, 32, true, true, 2), // 3: over 2
		val(Computed, 32, true, true, 3), // 4: over 3 (output)
	}, []int{4})
	for i, want := range []int{0, 0, 0, 0, 0} {
		if q.Donor(i) != want {
			t.Errorf("value %d: donor %d, want %d", i, q.Donor(i), want)
		}
	}
	if b, ip, s := q.Stats(); b != 0 || ip != 3 || s != 0 || q.PeakBytes() != 0 {
		t.Fatalf("stats %d buffers, %d in place, %d slots, peak %d; want 0, 3, 0, 0", b, ip, s, q.PeakBytes())
	}
}

// Over limits which operands a kernel may write over: a fused GEMM
// (factors a, b; epilogue operand w) writes over w, never a factor, even a
// dying one of its size.
func TestOverPositions(t *testing.T) {
	gemm := Value{Kind: Computed, Reads: []int{1, 0}, Bytes: 256, DType: tensor.Float32, Slotted: true, Overwrites: true, Over: []int{1}, Scratch: 256}
	p := New([]Value{
		donated(256),                       // 0: w
		val(Computed, 256, true, false),    // 1: a, dies at the GEMM
		gemm,                               // 2: w - a·b, its product in scratch
		val(Computed, 256, true, false, 2), // 3: reads the new w
		val(Computed, 256, true, false, 3), // 4
	}, []int{4})
	if p.InPlace(2) != 1 || p.Donor(2) != 0 {
		t.Fatalf("GEMM: in place %d donor %d, want 1 (w) and 0", p.InPlace(2), p.Donor(2))
	}
	// The scratch is a slot apart from a's (read by the GEMM); both are
	// free again for value 3.
	if p.Scratch(2) < 0 || p.Scratch(2) == p.Slot(1) || p.Scratch(1) != -1 || (p.Slot(3) != p.Slot(1) && p.Slot(3) != p.Scratch(2)) {
		t.Fatalf("slots: a %d, scratch %d, value 3 %d; want the scratch apart from a's slot, value 3 in either", p.Slot(1), p.Scratch(2), p.Slot(3))
	}
	if p.ArenaBytes() != 512 || p.PeakBytes() != 512 {
		t.Fatalf("arena %d, peak %d; want 512, 512 (a and the scratch)", p.ArenaBytes(), p.PeakBytes())
	}
	gemm.Over = []int{}
	q := New([]Value{donated(256), val(Computed, 256, true, false), gemm}, []int{2})
	if q.InPlace(2) != -1 {
		t.Fatalf("an empty Over allowed an in-place write at %d", q.InPlace(2))
	}
	// Without Donated the feed stays the caller's.
	r := New([]Value{val(Fed, 256, false, false), val(Computed, 256, true, true, 0)}, []int{1})
	if r.InPlace(1) != -1 || r.Donor(1) != -1 {
		t.Fatalf("a feed not donated was written over")
	}
}
