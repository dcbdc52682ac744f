package cuda

import (
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Device memory follows the plan: intermediates live in arena slots reused
// from run to run, elementwise kernels write over operands that die at
// them, outputs never lie in the arena, and repeated runs agree bitwise
// with each other and with the reference interpreter.
func TestEmuMemoryPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	e := newEngine(newEmu(t))
	g := graph.New()
	x := g.Input("x", tensor.Float32, 16, 24)
	w := g.Input("w", tensor.Float32, 24, 16)
	a := nodes.MatMul(x, w)                  // a slot
	b := nodes.T(nodes.Tanh(a))              // tanh into a slot (a is read again), the copy into another
	c := nodes.MatMul(b, nodes.Exp(a))       // exp writes over a, which dies at it
	d := nodes.Sum(nodes.Mul(c, c))          // an output
	e2 := nodes.Reshape(nodes.Neg(c), 16*16) // an output through a view
	outs := []*graph.Node{d, e2}
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	order := graph.Needed(outs)
	be := newBackend(e)
	if err := be.Prepare(order, outs); err != nil {
		t.Fatal(err)
	}
	m := be.plan.mem
	if _, inPlace, slots := m.plan.Stats(); slots < 2 || inPlace == 0 {
		t.Fatalf("%d arena slots and %d in-place writes planned, want ≥ 2 and ≥ 1", slots, inPlace)
	}
	r := rand.New(rand.NewSource(9))
	feeds := map[string]*tensor.Dense{"x": rnd(r, tensor.Float32, 16, 24), "w": rnd(r, tensor.Float32, 24, 16)}
	want, err := refRunner(outs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	var first []*tensor.Dense
	for run := 0; run < 2; run++ {
		env := map[*graph.Node]*tensor.Dense{x: feeds["x"], w: feeds["w"]}
		if err := be.Run(order, outs, env); err != nil {
			t.Fatal(err)
		}
		for k, o := range outs {
			near(t, "memory plan", env[o], want[k], 1e-4)
			if run == 0 {
				first = append(first, env[o])
			} else {
				near(t, "second run", env[o], first[k], 0)
			}
		}
	}
	if m.arena == nil {
		t.Fatal("the arena was never allocated")
	}
	// Device-held outputs (Call) lie outside the arena.
	dev := map[*graph.Node]*Tensor{}
	for _, in := range []*graph.Node{x, w} {
		v, err := be.Put(feeds[in.Op().(*graph.Input).Label])
		if err != nil {
			t.Fatal(err)
		}
		dev[in] = v
	}
	res, err := be.Call(order, outs, map[string]*Tensor{"x": dev[x], "w": dev[w]})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res {
		if v.buf.slot || (v.ptr() >= m.arena.ptr && v.ptr() < m.arena.ptr+uint64(m.size)) {
			t.Fatalf("an output lies in the arena")
		}
	}
}

// Device memory is invisible to Go's collector: a loop that drops its old
// device values without Free (a training loop replacing its weights) must
// still run when the device fills, by collecting them then.
func TestEmuOutOfMemoryCollects(t *testing.T) {
	em := newEmu(t)
	em.limit = 64 << 10
	be := newBackend(newEngine(em))
	h := rnd(rand.New(rand.NewSource(1)), tensor.Float32, 4096) // 16 KiB
	for k := 0; k < 40; k++ {                                   // 640 KiB in all
		v, err := be.Put(h)
		if err != nil {
			t.Fatalf("put %d: %v", k, err)
		}
		_ = v // dropped without Free
	}
	if em.used > em.limit {
		t.Fatalf("%d bytes in use over a limit of %d", em.used, em.limit)
	}
}
