package cuda_test

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// withOpts folds options into one (newLMStep takes one).
func withOpts[O ~func(C), C any](opts ...O) O {
	return func(c C) {
		for _, o := range opts {
			o(c)
		}
	}
}

// mlpStep is bench's MLP training step (256×784→512→10 relu, softmax
// cross-entropy, float32) with train's in-graph update: the outputs are
// the loss, then the new parameters and state.
func mlpStep(tb testing.TB, adam bool) ([]*graph.Node, *train.Update, map[string]*tensor.Dense) {
	const batch, in, hid, out = 256, 784, 512, 10
	r := rand.New(rand.NewSource(7))
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	input := func(name string, scale float64, dims ...int) *graph.Node {
		v := make([]float64, dense.Size(dims))
		for k := range v {
			v[k] = r.NormFloat64() * scale
		}
		feeds[name] = dense.FromF64(tensor.Float32, dims, v)
		return g.Input(name, tensor.Float32, dims...)
	}
	x, y := input("x", 1, batch, in), input("y", 0.3, batch, out)
	w1, b1 := input("w1", 1/math.Sqrt(in), in, hid), input("b1", 0, hid)
	w2, b2 := input("w2", 1/math.Sqrt(hid), hid, out), input("b2", 0, out)
	e := g.Axis("example", 0)
	loss := nodes.Mean(vmap.For(e).Do(func() *graph.Node {
		h := nodes.Relu(nodes.Add(nodes.MatMul(x.At(e, graph.All), w1), b1))
		logits := nodes.Add(nodes.MatMul(h, w2), b2)
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), nodes.LogSoftmax(logits))))
	}))
	params := []*graph.Node{w1, b1, w2, b2}
	grads := autodiff.Grad(loss, params...)
	var u *train.Update
	var err error
	if adam {
		u, err = train.NewAdam(1e-3).Graph(params, grads)
	} else {
		u, err = train.NewSGD(0.01, 0.9).Graph(params, grads)
	}
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range u.Init() {
		feeds[k] = v
	}
	return append([]*graph.Node{loss}, u.Outputs()...), u, feeds
}

// putAll Puts feeds on p's backend.
func putAll(tb testing.TB, p *exec.Program, feeds map[string]*tensor.Dense) map[string]*exec.Value {
	vals := map[string]*exec.Value{}
	for k, t := range feeds {
		v, err := p.Put(t)
		if err != nil {
			tb.Fatal(err)
		}
		vals[k] = v
	}
	return vals
}

// callSteps runs n steps with Call, carrying the update, and returns each
// step's outputs on the host.
func callSteps(t *testing.T, p *exec.Program, u *train.Update, feeds map[string]*tensor.Dense, n int) [][]*tensor.Dense {
	vals := putAll(t, p, feeds)
	var all [][]*tensor.Dense
	for range n {
		res, err := p.Call(vals)
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
		if err := train.Carry(u, vals, res[1:]); err != nil {
			t.Fatal(err)
		}
	}
	return all
}

// On the GPU, N training steps with the weights and state donated equal N
// steps without, bitwise, and the CPU backend's first step to float32
// rounding; the new weights are planned over the old; a donated Value is
// consumed; Run with donation writes over its uploaded copies, never the
// host's tensors.
func TestDonateCUDA(t *testing.T) {
	needGPU(t)
	for _, adam := range []bool{false, true} {
		t.Run(fmt.Sprintf("adam=%v", adam), func(t *testing.T) {
			outs, u, feeds := mlpStep(t, adam)
			plain, err := exec.Compile(outs, exec.OnCUDA())
			if err != nil {
				t.Fatal(err)
			}
			don, err := exec.Compile(outs, exec.OnCUDA(), exec.Donate(u.Names()...))
			if err != nil {
				t.Fatal(err)
			}
			if e := don.Explain(); !strings.Contains(e, "w1 (output 1 in its memory)") {
				t.Errorf("the new w1 is not planned over the old:\n%s", e)
			}
			cpu, err := exec.Compile(outs)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cpu.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			const n = 4
			a, b := callSteps(t, plain, u, feeds, n), callSteps(t, don, u, feeds, n)
			for i := range a {
				for k := range a[i] {
					if !slices.Equal(dense.F64(a[i][k]), dense.F64(b[i][k])) {
						t.Fatalf("step %d output %d differs with donation", i, k)
					}
				}
			}
			for k := range want {
				w, g := dense.F64(want[k]), dense.F64(a[0][k])
				for j := range w {
					if d := math.Abs(g[j] - w[j]); !(d <= 1e-3*math.Max(1, math.Abs(w[j]))) {
						t.Fatalf("output %d element %d: GPU %v, CPU %v", k, j, g[j], w[j])
					}
				}
			}

			vals := putAll(t, don, feeds)
			w1 := vals["w1"]
			if _, err := don.Call(vals); err != nil {
				t.Fatal(err)
			}
			if _, err := w1.Dense(); err == nil || !strings.Contains(err.Error(), "donated") {
				t.Errorf("the donated w1 after the Call: %v", err)
			}
			x, err := vals["x"].Dense()
			if err != nil || !slices.Equal(x.Float32s(), feeds["x"].Float32s()) {
				t.Errorf("x (not donated) changed: %v", err)
			}

			keep := map[string][]float64{}
			for k, v := range feeds {
				keep[k] = dense.F64(v)
			}
			got, err := don.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			for k := range got {
				if !slices.Equal(dense.F64(got[k]), dense.F64(a[0][k])) {
					t.Fatalf("Run with donation: output %d differs from the first Call's", k)
				}
			}
			for k, v := range feeds {
				if !slices.Equal(dense.F64(v), keep[k]) {
					t.Fatalf("Run on CUDA wrote the host's %s", k)
				}
			}
		})
	}
}

// bench's MLP step (SGD) on the GPU as a training loop runs it: weights
// Put once and carried from Call to Call, the loss read back each step;
// donated (new weights over the old) and fresh.
func BenchmarkMLPStepCUDA(b *testing.B) {
	needGPU(b)
	for _, donate := range []bool{true, false} {
		name := map[bool]string{true: "donated", false: "fresh"}[donate]
		b.Run(name, func(b *testing.B) {
			outs, u, feeds := mlpStep(b, false)
			opts := []exec.Option{exec.OnCUDA()}
			if donate {
				opts = append(opts, exec.Donate(u.Names()...))
			}
			p, err := exec.Compile(outs, opts...)
			if err != nil {
				b.Fatal(err)
			}
			vals := putAll(b, p, feeds)
			step := func() {
				res, err := p.Call(vals)
				if err == nil {
					_, err = res[0].Dense()
				}
				if err == nil {
					err = train.Carry(u, vals, res[1:])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			step()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
		})
	}
}

var lmNames []string

// BenchmarkTransformerTrainStep's step with the weights and Adam state
// donated and without (fresh memory for them every step), alternating
// under -count.
func BenchmarkTransformerTrainStepDonation(b *testing.B) {
	needGPU(b)
	b.Run("fresh", func(b *testing.B) { benchLM(b, benchLMSize, "cuda", exec.OnCUDA) })
	b.Run("donated", func(b *testing.B) {
		// The update's input names, from the same model built for the
		// reference interpreter (which compiles without optimizing).
		if lmNames == nil {
			lmNames = newLMStep(b, benchLMSize, 1e-4, exec.Reference()).u.Names()
		}
		benchLM(b, benchLMSize, "cuda donated", func() exec.Option {
			return withOpts(exec.OnCUDA(), exec.Donate(lmNames...))
		})
	})
}
