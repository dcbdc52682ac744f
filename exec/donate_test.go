package exec_test

import (
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// trainStep is one training step of a small relu MLP with softmax
// cross-entropy: outputs the loss then the update's new parameters and
// state (train's in-graph SGD with momentum, or Adam), fed back by name.
type trainStep struct {
	outs  []*graph.Node
	u     *train.Update
	feeds map[string]*tensor.Dense // the first step's
}

func newTrainStep(t *testing.T, adam bool) *trainStep {
	const batch, in, hid, out = 8, 12, 16, 4
	r := rand.New(rand.NewSource(11))
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	input := func(name string, dims ...int) *graph.Node {
		feeds[name] = randT(r, tensor.Float32, dims...)
		return g.Input(name, tensor.Float32, dims...)
	}
	x, y := input("x", batch, in), input("y", batch, out)
	w1, b1 := input("w1", in, hid), input("b1", hid)
	w2, b2 := input("w2", hid, out), input("b2", out)
	e := g.Axis("example", 0)
	losses := vmap.For(e).Do(func() *graph.Node {
		h := nodes.Relu(nodes.Add(nodes.MatMul(x.At(e, graph.All), w1), b1))
		logits := nodes.Add(nodes.MatMul(h, w2), b2)
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), nodes.LogSoftmax(logits))))
	})
	loss := nodes.Mean(losses)
	params := []*graph.Node{w1, b1, w2, b2}
	grads := autodiff.Grad(loss, params...)
	var u *train.Update
	var err error
	if adam {
		u, err = train.NewAdam(0.01).Graph(params, grads)
	} else {
		u, err = train.NewSGD(0.1, 0.9).Graph(params, grads)
	}
	require.NoError(t, err)
	for name, v := range u.Init() {
		feeds[name] = v
	}
	return &trainStep{outs: append([]*graph.Node{loss}, u.Outputs()...), u: u, feeds: feeds}
}

// steps runs n steps with Run, carrying the outputs into the next step's
// feeds, and returns every step's outputs (copies: a donated feed's memory
// is the next step's to write).
func (s *trainStep) steps(t *testing.T, p *exec.Program, n int) [][]*tensor.Dense {
	feeds := map[string]*tensor.Dense{}
	for k, v := range s.feeds {
		feeds[k] = dense.Clone(v)
	}
	var all [][]*tensor.Dense
	for range n {
		outs, err := p.Run(feeds)
		require.NoError(t, err)
		var kept []*tensor.Dense
		for _, o := range outs {
			kept = append(kept, dense.Clone(o))
		}
		all = append(all, kept)
		require.NoError(t, train.Carry(s.u, feeds, outs[1:]))
	}
	return all
}

func sameBits(t *testing.T, what string, want, got [][]*tensor.Dense) {
	t.Helper()
	for i := range want {
		for k := range want[i] {
			require.Equal(t, dense.F64(want[i][k]), dense.F64(got[i][k]), "%s: step %d output %d", what, i, k)
		}
	}
}

// N training steps with the parameters and optimiser state donated equal
// N steps without, bitwise, through Run and through Call; the new weights
// really are written over the old (Explain says so, and Run's outputs lie
// in the fed tensors' memory); the batch, not donated, is never written.
func TestDonatedStepsEqualUndonated(t *testing.T) {
	for _, adam := range []bool{false, true} {
		t.Run(fmt.Sprintf("adam=%v", adam), func(t *testing.T) {
			s := newTrainStep(t, adam)
			plain, err := exec.Compile(s.outs)
			require.NoError(t, err)
			donating, err := exec.Compile(s.outs, exec.Donate(s.u.Names()...))
			require.NoError(t, err)
			want := s.steps(t, plain, 4)
			sameBits(t, "Run with Donate", want, s.steps(t, donating, 4))

			e := donating.Explain()
			assert.Contains(t, e, "donated: ")
			assert.Contains(t, e, "w1 (output 1 in its memory)", "the new w1 (a GEMM with an epilogue) lives in the old w1")
			assert.Contains(t, e, "b2 (output 4 in its memory)")

			// One Run: outputs in the donated feeds' memory, x and y intact.
			feeds := map[string]*tensor.Dense{}
			for k, v := range s.feeds {
				feeds[k] = dense.Clone(v)
			}
			x, y := dense.Clone(feeds["x"]), dense.Clone(feeds["y"])
			w1, b2 := feeds["w1"].Uintptr(), feeds["b2"].Uintptr()
			outs, err := donating.Run(feeds)
			require.NoError(t, err)
			assert.Equal(t, w1, outs[1].Uintptr(), "the new w1 lives in the fed w1")
			assert.Equal(t, b2, outs[4].Uintptr(), "the new b2 lives in the fed b2")
			assert.Equal(t, x.Float32s(), feeds["x"].Float32s(), "x is not donated")
			assert.Equal(t, y.Float32s(), feeds["y"].Float32s(), "y is not donated")

			// Call: Put once, carry the Values.
			vals := map[string]*exec.Value{}
			for k, v := range s.feeds {
				vals[k], err = donating.Put(v)
				require.NoError(t, err)
			}
			for i := range want {
				res, err := donating.Call(vals)
				require.NoError(t, err)
				for k, v := range res {
					d, err := v.Dense()
					require.NoError(t, err)
					require.Equal(t, dense.F64(want[i][k]), dense.F64(d), "Call step %d output %d", i, k)
				}
				require.NoError(t, train.Carry(s.u, vals, res[1:]))
			}
		})
	}
}

// A donated Value is consumed by the Call: reading it or feeding it again
// is an error that says so; Values not donated stay usable; checks that
// fail before the run leave the donated Value alone.
func TestDonatedValueIsConsumed(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float32, 3)
	x := g.Input("x", tensor.Float32, 3)
	p, err := exec.Compile([]*graph.Node{nodes.Sub(w, nodes.Mul(x, x))}, exec.Donate("w"))
	require.NoError(t, err)
	wv, err := p.Put(seq(tensor.Float32, 3))
	require.NoError(t, err)
	xv, err := p.Put(seq(tensor.Float32, 3))
	require.NoError(t, err)

	_, err = p.Call(map[string]*exec.Value{"w": wv, "x": wv})
	assert.ErrorContains(t, err, `inputs "w" and "x" are fed the same Value, and one of them is donated`)
	_, err = p.Call(map[string]*exec.Value{"w": wv})
	assert.ErrorContains(t, err, `input "x" not fed`)
	d, err := wv.Dense()
	require.NoError(t, err, "a Call that failed its checks leaves the donated value alone")
	assert.Equal(t, []float32{0, 1, 2}, d.Float32s())

	out, err := p.Call(map[string]*exec.Value{"w": wv, "x": xv})
	require.NoError(t, err)
	_, err = wv.Dense()
	assert.ErrorContains(t, err, "was donated to an earlier Call")
	_, err = p.Call(map[string]*exec.Value{"w": wv, "x": xv})
	assert.ErrorContains(t, err, `input "w": the value was donated to an earlier Call`)
	got, err := out[0].Dense()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0, -2}, got.Float32s())
	xd, err := xv.Dense()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 1, 2}, xd.Float32s(), "x is not donated")

	// The consumed value's name, fed to another program that does not
	// donate it, is still refused.
	q, err := exec.Compile([]*graph.Node{nodes.Neg(w)})
	require.NoError(t, err)
	_, err = q.Call(map[string]*exec.Value{"w": wv})
	assert.ErrorContains(t, err, "donated")
}

// A Call that fails while running (an index out of range) still consumes
// its donated Values: their memory may already be written.
func TestFailedCallConsumes(t *testing.T) {
	p := gatherProgram(t, exec.Donate("x"))
	xv, err := p.Put(seq(tensor.Float64, 5, 3))
	require.NoError(t, err)
	lv, err := p.Put(dense.FromI64([]int{4}, []int64{0, 1, 7, 2}))
	require.NoError(t, err)
	_, err = p.Call(map[string]*exec.Value{"x": xv, "labels": lv})
	require.Error(t, err)
	_, err = xv.Dense()
	assert.ErrorContains(t, err, "donated")
	_, err = lv.Dense()
	assert.NoError(t, err)
}

func TestDonateUnknownName(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float32, 3)
	_, err := exec.Compile([]*graph.Node{nodes.Neg(w)}, exec.Donate("w", "v", "u", "v"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Donate: no input named "v", "u" (the graph's inputs are: w)`)
}

// A donated feed read after the kernel that could write over it is not
// written there; a donated feed that is itself an output is not written
// over; results match the reference.
func TestDonatedFeedReadLater(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float64, 4, 4)
	x := g.Input("x", tensor.Float64, 4, 4)
	nw := nodes.Sub(w, nodes.Scale(nodes.Exp(x), 0.5))
	later := nodes.MatMul(nw, w) // reads w after the update
	for _, c := range []struct {
		outs    []*graph.Node
		explain string
	}{
		{[]*graph.Node{nw, later}, "w (not written over"},
		{[]*graph.Node{nw, later, nodes.Sum(nodes.Mul(nodes.T(w), x)), w}, "w (output 3 in its memory)"}, // w itself
	} {
		feeds := map[string]*tensor.Dense{"w": randT(rand.New(rand.NewSource(1)), tensor.Float64, 4, 4), "x": seq(tensor.Float64, 4, 4)}
		ref, err := exec.Compile(c.outs, exec.Reference())
		require.NoError(t, err)
		want, err := ref.Run(feeds)
		require.NoError(t, err)
		p, err := exec.Compile(c.outs, exec.Donate("w"))
		require.NoError(t, err)
		assert.Contains(t, p.Explain(), c.explain)
		w0 := dense.Clone(feeds["w"])
		got, err := p.Run(feeds)
		require.NoError(t, err)
		for k := range want {
			assert.InDeltaSlice(t, dense.F64(want[k]), dense.F64(got[k]), 1e-8, "output %d", k)
		}
		assert.Equal(t, w0.Float64s(), feeds["w"].Float64s(), "w is read after the update: never written over")
	}
}

// Elementwise kernels never write over a donated operand they read
// permuted (a transpose folded into the kernel); a donated feed fed twice,
// or sharing memory with another feed, is not written over.
func TestDonationRespectsAliases(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float32, 6, 6)
	v := g.Input("v", tensor.Float32, 6, 6)
	y := nodes.Add(nodes.Exp(nodes.T(w)), v)
	z := nodes.Mul(w, v)
	r := rand.New(rand.NewSource(2))
	feeds := map[string]*tensor.Dense{"w": randT(r, tensor.Float32, 6, 6), "v": randT(r, tensor.Float32, 6, 6)}
	for _, outs := range [][]*graph.Node{{y}, {z}} {
		want := runWith(t, outs[0], feeds, exec.Reference())
		p, err := exec.Compile(outs, exec.Donate("w", "v"))
		require.NoError(t, err)
		in := map[string]*tensor.Dense{"w": dense.Clone(feeds["w"]), "v": dense.Clone(feeds["v"])}
		got, err := p.Run(in)
		require.NoError(t, err)
		assert.InDeltaSlice(t, dense.F64(want), dense.F64(got[0]), 1e-5, p.Explain())
		// The same tensor under both names: neither is written over.
		same := dense.Clone(feeds["w"])
		keep := dense.Clone(same)
		_, err = p.Run(map[string]*tensor.Dense{"w": same, "v": same})
		require.NoError(t, err)
		assert.Equal(t, keep.Float32s(), same.Float32s())
	}
}

// Concurrent Runs and Calls, each donating its own feeds, give the
// sequential results (run with -race).
func TestConcurrentDonation(t *testing.T) {
	s := newTrainStep(t, true)
	p, err := exec.Compile(s.outs, exec.Donate(s.u.Names()...))
	require.NoError(t, err)
	want := s.steps(t, p, 3)
	var wg sync.WaitGroup
	errs := make([]string, 4)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			feeds := map[string]*tensor.Dense{}
			vals := map[string]*exec.Value{}
			for k, v := range s.feeds {
				feeds[k] = dense.Clone(v)
				vals[k], _ = p.Put(v)
			}
			for i := range want {
				outs, err := p.Run(feeds)
				if err != nil {
					errs[w] = err.Error()
					return
				}
				res, err := p.Call(vals)
				if err != nil {
					errs[w] = err.Error()
					return
				}
				for k := range outs {
					d, err := res[k].Dense()
					if err != nil || !slices.Equal(dense.F64(outs[k]), dense.F64(want[i][k])) || !slices.Equal(dense.F64(d), dense.F64(want[i][k])) {
						errs[w] = fmt.Sprintf("step %d output %d differs (%v)", i, k, err)
						return
					}
				}
				_ = train.Carry(s.u, feeds, outs[1:])
				_ = train.Carry(s.u, vals, res[1:])
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		assert.Empty(t, e)
	}
}

// The reference interpreter takes the option and writes over nothing;
// Call's rules still hold there.
func TestDonateOnReference(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float64, 3)
	p, err := exec.Compile([]*graph.Node{nodes.Neg(w)}, exec.Reference(), exec.Donate("w"))
	require.NoError(t, err)
	in := seq(tensor.Float64, 3)
	out, err := p.Run(map[string]*tensor.Dense{"w": in})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1, 2}, in.Float64s())
	assert.Equal(t, []float64{0, -1, -2}, out[0].Float64s())
	wv, err := p.Put(in)
	require.NoError(t, err)
	_, err = p.Call(map[string]*exec.Value{"w": wv})
	require.NoError(t, err)
	_, err = wv.Dense()
	assert.ErrorContains(t, err, "donated")
}

// An elementwise kernel reading a dying operand permuted (a transpose
// folded into it) does not write over it: it gathers that operand from
// everywhere, chunk by chunk (a bug before donation came, seen with a
// 128×128 softmax result).
func TestInPlaceNeverOverPermutedOperand(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 128, 128)
	v := g.Input("v", tensor.Float32, 128, 128)
	row := g.Axis("row", 0)
	a := vmap.For(row).Do(func() *graph.Node { return nodes.Softmax(x.At(row, graph.All)) })
	y := nodes.Add(nodes.Exp(nodes.T(a)), v)
	r := rand.New(rand.NewSource(2))
	feeds := map[string]*tensor.Dense{"x": randT(r, tensor.Float32, 128, 128), "v": randT(r, tensor.Float32, 128, 128)}
	want := runWith(t, y, feeds, exec.Reference())
	p, err := exec.Compile([]*graph.Node{y}, exec.Donate("x"))
	require.NoError(t, err)
	require.Contains(t, p.Explain(), "[dims 1 0]", "the transpose is read inside the fused kernel")
	got, err := p.Run(feeds)
	require.NoError(t, err)
	assert.InDeltaSlice(t, dense.F64(want), dense.F64(got[0]), 1e-5)
}
