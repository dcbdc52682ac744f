package cuda

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// donateStep is a training step of a small relu MLP (loss, then train's
// in-graph update), lowered for the device.
type donateStep struct {
	order, outs []*graph.Node
	u           *train.Update
	inputs      map[string]*graph.Node
	feeds       map[string]*tensor.Dense
}

func newDonateStep(t *testing.T, adam bool) *donateStep {
	const batch, in, hid, out = 8, 12, 16, 4
	r := rand.New(rand.NewSource(5))
	g := graph.New()
	s := &donateStep{inputs: map[string]*graph.Node{}, feeds: map[string]*tensor.Dense{}}
	input := func(name string, dims ...int) *graph.Node {
		s.feeds[name] = rnd(r, tensor.Float32, dims...)
		s.inputs[name] = g.Input(name, tensor.Float32, dims...)
		return s.inputs[name]
	}
	x, y := input("x", batch, in), input("y", batch, out)
	w1, b1 := input("w1", in, hid), input("b1", hid)
	w2, b2 := input("w2", hid, out), input("b2", out)
	e := g.Axis("example", 0)
	loss := nodes.Mean(vmap.For(e).Do(func() *graph.Node {
		h := nodes.Relu(nodes.Add(nodes.MatMul(x.At(e, graph.All), w1), b1))
		logits := nodes.Add(nodes.MatMul(h, w2), b2)
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), nodes.LogSoftmax(logits))))
	}))
	params := []*graph.Node{w1, b1, w2, b2}
	grads := autodiff.Grad(loss, params...)
	var err error
	if adam {
		s.u, err = train.NewAdam(0.01).Graph(params, grads)
	} else {
		s.u, err = train.NewSGD(0.1, 0.9).Graph(params, grads)
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range s.u.Init() {
		s.feeds[name] = v
	}
	for _, n := range g.Inputs() {
		s.inputs[n.Op().(*graph.Input).Label] = n
	}
	s.outs = optimized(t, append([]*graph.Node{loss}, s.u.Outputs()...)...)
	s.order = graph.Needed(s.outs)
	return s
}

// calls runs n steps with Call from the step's feeds, carrying the device
// values, and returns every step's outputs on the host; each step's
// values it no longer feeds are freed, so the device memory in use after
// the last step is what a steady-state loop holds.
func (s *donateStep) calls(t *testing.T, b *Backend, n int) [][]*tensor.Dense {
	vals := map[string]*Tensor{}
	for name, v := range s.feeds {
		d, err := b.Put(v)
		if err != nil {
			t.Fatal(err)
		}
		vals[name] = d
	}
	var all [][]*tensor.Dense
	for range n {
		res, err := b.Call(s.order, s.outs, vals)
		if err != nil {
			t.Fatal(err)
		}
		var host []*tensor.Dense
		for _, v := range res {
			h, err := v.Dense()
			if err != nil {
				t.Fatal(err)
			}
			host = append(host, h)
		}
		all = append(all, host)
		res[0].Free()
		for k, name := range s.u.Names() {
			vals[name].Free() // a no-op for a consumed (donated) value
			vals[name] = res[k+1]
		}
	}
	for _, v := range vals {
		v.Free()
	}
	return all
}

// N training steps (SGD with momentum, Adam) with the parameters and state
// donated equal N steps without, bitwise, on the emulated device, and the
// reference within float32 rounding; the new weights are written over the
// old ones' device memory; donated Tensors are consumed, the batch is not
// written; the device memory held stays flat from step to step, and below
// the undonated loop's.
func TestEmuDonatedSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	for _, adam := range []bool{false, true} {
		t.Run(fmt.Sprintf("adam=%v", adam), func(t *testing.T) {
			em := newEmu(t)
			e := newEngine(em)
			s := newDonateStep(t, adam)
			plain, don := newBackend(e), newBackend(e)
			var donated []*graph.Node
			for _, name := range s.u.Names() {
				donated = append(donated, s.inputs[name])
			}
			don.Donate(donated...)
			for _, b := range []*Backend{plain, don} {
				if err := b.Prepare(s.order, s.outs); err != nil {
					t.Fatal(err)
				}
			}
			for k, name := range s.u.Names() {
				if got := don.DonorOf(s.outs[k+1]); got != s.inputs[name] {
					t.Fatalf("output %d (the new %s) is planned in %v's memory, want %s's", k+1, name, got, name)
				}
			}
			want, err := refRunner(s.outs, s.feeds)
			if err != nil {
				t.Fatal(err)
			}
			const steps = 4
			base := em.used
			a := s.calls(t, plain, steps)
			for k := range want {
				near(t, fmt.Sprintf("step 0 output %d vs the reference", k), a[0][k], want[k], 1e-4)
			}
			plainUsed := em.used - base
			if err := e.trim(); err != nil {
				t.Fatal(err)
			}
			base = em.used
			b := s.calls(t, don, 1)
			b1 := em.used
			b = append(b, s.calls(t, don, steps)[1:]...)
			for i := range b {
				for k := range b[i] {
					if !slices.Equal(dense.F64(a[i][k]), dense.F64(b[i][k])) {
						t.Fatalf("step %d output %d differs with donation", i, k)
					}
				}
			}
			if em.used != b1 {
				t.Errorf("device memory in use (pool included): %d bytes after 1 donated step, %d after %d: a leak", b1, em.used, steps)
			}
			if don := em.used - base; don >= plainUsed {
				t.Errorf("device memory taken by the loop: %d bytes with donation, %d without", don, plainUsed)
			}
			t.Logf("device memory taken by %d steps: %d bytes without donation, %d with", steps, plainUsed, em.used-base)

			// One Call, looked at closely.
			vals := map[string]*Tensor{}
			for name, v := range s.feeds {
				vals[name], _ = don.Put(v)
			}
			w1, x := vals["w1"], vals["x"]
			at := w1.ptr()
			res, err := don.Call(s.order, s.outs, vals)
			if err != nil {
				t.Fatal(err)
			}
			if res[1].ptr() != at {
				t.Errorf("the new w1 is at %#x, not in the old w1's memory %#x", res[1].ptr(), at)
			}
			if _, err := w1.Dense(); err == nil || w1.buf != nil {
				t.Errorf("the donated w1 is still live after the Call")
			}
			if _, err := don.Call(s.order, s.outs, vals); err == nil || !strings.Contains(err.Error(), `"`) {
				t.Errorf("a Call fed a consumed Tensor: %v", err)
			}
			got, err := x.Dense()
			if err != nil {
				t.Fatal(err)
			}
			near(t, "x after the Call", got, s.feeds["x"], 0)

			// Run (host feeds): the uploaded copies are written over,
			// never the host's tensors.
			env := map[*graph.Node]*tensor.Dense{}
			keep := map[string]*tensor.Dense{}
			for name, v := range s.feeds {
				env[s.inputs[name]] = v
				keep[name] = dense.Clone(v)
			}
			if err := don.Run(s.order, s.outs, env); err != nil {
				t.Fatal(err)
			}
			for k, o := range s.outs {
				near(t, fmt.Sprintf("Run output %d", k), env[o], a[0][k], 0)
			}
			for name, v := range keep {
				near(t, "host feed "+name, s.feeds[name], v, 0)
			}
		})
	}
}

// A donated feed that is itself an output comes back as a new value on
// the same memory; a chain of in-place kernels stays in the donated
// buffer; one Tensor fed under two names, one donated, is refused.
func TestEmuDonationEdges(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	e := newEngine(newEmu(t))
	g := graph.New()
	w := g.Input("w", tensor.Float32, 64)
	v := g.Input("v", tensor.Float32, 64)
	a := nodes.Exp(w)
	c := nodes.Mul(a, nodes.Sum(a)) // a is read twice: its own kernel, over w; c over a
	outs := []*graph.Node{c, v, nodes.Add(v, v)}
	order := graph.Needed(outs)
	b := newBackend(e)
	b.Donate(w, v)
	if err := b.Prepare(order, outs); err != nil {
		t.Fatal(err)
	}
	if b.DonorOf(c) != w || b.DonorOf(outs[1]) != v {
		t.Fatalf("donors: c in %v (want w), v in %v (want v)", b.DonorOf(c), b.DonorOf(outs[1]))
	}
	r := rand.New(rand.NewSource(3))
	feeds := map[string]*tensor.Dense{"w": rnd(r, tensor.Float32, 64), "v": rnd(r, tensor.Float32, 64)}
	want, err := refRunner(outs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := b.Put(feeds["w"])
	vd, _ := b.Put(feeds["v"])
	if _, err := b.Call(order, outs, map[string]*Tensor{"w": wd, "v": wd}); err == nil || !strings.Contains(err.Error(), "fed the same value") {
		t.Fatalf("one Tensor under two donated names: %v", err)
	}
	wat, vat := wd.ptr(), vd.ptr()
	res, err := b.Call(order, outs, map[string]*Tensor{"w": wd, "v": vd})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ptr() != wat || res[1].ptr() != vat || res[1] == vd || res[2].ptr() == vat {
		t.Fatalf("c at %#x (w was at %#x), v at %#x (was at %#x), v+v at %#x", res[0].ptr(), wat, res[1].ptr(), vat, res[2].ptr())
	}
	for k, r := range res {
		got, err := r.Dense()
		if err != nil {
			t.Fatal(err)
		}
		near(t, fmt.Sprintf("output %d", k), got, want[k], 1e-5)
		r.Free()
	}
	if wd.buf != nil || vd.buf != nil {
		t.Fatal("donated Tensors still live")
	}
}
