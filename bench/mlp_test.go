package bench

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// mlpParams are the MLP step's parameters, in output order (after the loss).
var mlpParams = []string{"w1", "b1", "w2", "b2"}

// mlpStep compiles BenchmarkMLPStep's program (loss, then the new w1, b1,
// w2, b2) with opts and returns it with its feeds.
func mlpStep(b *testing.B, opts ...exec.Option) (*exec.Program, map[string]*tensor.Dense, []*graph.Node) {
	const batch, in, hid, out, lr = 256, 784, 512, 10, 0.01
	r := rand.New(rand.NewSource(7))
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	input := func(name string, scale float64, dims ...int) *graph.Node {
		feeds[name] = randn(r, tensor.Float32, scale, dims...)
		return g.Input(name, tensor.Float32, dims...)
	}
	x := input("x", 1, batch, in)
	w1, b1 := input("w1", 1/math.Sqrt(in), in, hid), input("b1", 0, hid)
	w2, b2 := input("w2", 1/math.Sqrt(hid), hid, out), input("b2", 0, out)
	onehot := make([]float64, batch*out)
	for e := 0; e < batch; e++ {
		onehot[e*out+r.Intn(out)] = 1
	}
	feeds["y"] = dense.FromF64(tensor.Float32, []int{batch, out}, onehot)
	y := g.Input("y", tensor.Float32, batch, out)

	e := g.Axis("example", 0)
	losses := vmap.For(e).Do(func() *graph.Node {
		h := nodes.Relu(nodes.Add(nodes.MatMul(x.At(e, graph.All), w1), b1))
		logits := nodes.Add(nodes.MatMul(h, w2), b2)
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), nodes.LogSoftmax(logits))))
	})
	loss := nodes.Mean(losses)
	params := []*graph.Node{w1, b1, w2, b2}
	outs := []*graph.Node{loss}
	for k, grad := range autodiff.Grad(loss, params...) {
		outs = append(outs, nodes.Sub(params[k], nodes.Scale(grad, lr)))
	}
	p, err := exec.Compile(outs, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return p, feeds, outs
}

// BenchmarkMLPStep's step as a training loop runs it: weights Put once and
// carried from Call to Call, the loss read back each step; with the
// weights donated (exec.Donate: the new weights written over the old, as
// NumPy's w -= lr*g) and without (fresh memory for them every step).
func BenchmarkMLPStepCall(b *testing.B) {
	for _, donate := range []bool{true, false} {
		name := "donated"
		if !donate {
			name = "fresh"
		}
		b.Run(name, func(b *testing.B) {
			var opts []exec.Option
			if donate {
				opts = append(opts, exec.Donate(mlpParams...))
			}
			p, feeds, _ := mlpStep(b, opts...)
			vals := map[string]*exec.Value{}
			for k, t := range feeds {
				v, err := p.Put(t)
				if err != nil {
					b.Fatal(err)
				}
				vals[k] = v
			}
			step := func() float32 {
				res, err := p.Call(vals)
				if err != nil {
					b.Fatal(err)
				}
				l, err := res[0].Dense()
				if err != nil {
					b.Fatal(err)
				}
				for k, name := range mlpParams {
					vals[name] = res[k+1]
				}
				return l.Float32s()[0]
			}
			first, second := step(), step() // warm up, and check it learns
			if !(second < first) {
				b.Fatalf("loss did not go down: %v then %v", first, second)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
		})
	}
}
