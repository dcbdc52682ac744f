//go:build !nogorgonia

package bench

// loom's gradients against gorgonia's symbolic ones on models both can
// express, in float64: an MLP with softmax cross-entropy (loom writes it per
// example in a loop over the batch; gorgonia on whole matrices), softmax
// cross-entropy alone, and a chain of batched matmuls (loom: a loop of
// MatMuls; gorgonia: BatchedMatMul).

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// gradPair runs gorgonia's Grad of gcost w.r.t. gwrt and loom's w.r.t. lwrt
// (same values, fed by name) and compares them elementwise.
func gradPair(t *testing.T, gg *G.ExprGraph, gcost *G.Node, gwrt G.Nodes, lcost *graph.Node, lwrt []*graph.Node, feeds map[string]*tensor.Dense) {
	t.Helper()
	ggrads, err := G.Grad(gcost, gwrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(gg)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	lgrads := autodiff.Grad(lcost, lwrt...)
	for _, opt := range []exec.Option{exec.Reference(), exec.OnCPU()} {
		p, err := exec.Compile(append([]*graph.Node{lcost}, lgrads...), opt)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if gl, ll := gcost.Value().Data().(float64), out[0].Float64s()[0]; math.Abs(gl-ll) > 1e-10*math.Max(1, math.Abs(gl)) {
			t.Fatalf("loss: gorgonia %v, loom %v", gl, ll)
		}
		for k, gn := range ggrads {
			want := gn.Value().Data().([]float64)
			got := out[k+1].Float64s()
			if len(got) != len(want) {
				t.Fatalf("%s: %d values, gorgonia has %d", gwrt[k].Name(), len(got), len(want))
			}
			for e := range want {
				if math.Abs(got[e]-want[e]) > 1e-9*math.Max(1, math.Abs(want[e])) {
					t.Fatalf("d/d%s[%d]: loom %v, gorgonia %v", gwrt[k].Name(), e, got[e], want[e])
				}
			}
		}
	}
}

func TestGradientsMatchGorgoniaMLP(t *testing.T) {
	const batch, in, hid, out = 8, 6, 5, 4
	r := rand.New(rand.NewSource(11))
	feeds := map[string]*tensor.Dense{
		"x": randn(r, tensor.Float64, 1, batch, in), "w1": randn(r, tensor.Float64, 0.5, in, hid), "b1": randn(r, tensor.Float64, 0.1, hid),
		"w2": randn(r, tensor.Float64, 0.5, hid, out), "b2": randn(r, tensor.Float64, 0.1, out),
	}
	onehot := make([]float64, batch*out)
	for e := 0; e < batch; e++ {
		onehot[e*out+r.Intn(out)] = 1
	}
	feeds["y"] = tensor.New(tensor.WithShape(batch, out), tensor.WithBacking(onehot))

	gg := G.NewGraph()
	gx, gy := gInput(gg, "x", feeds["x"]), gInput(gg, "y", feeds["y"])
	gw1, gb1, gw2, gb2 := gInput(gg, "w1", feeds["w1"]), gInput(gg, "b1", feeds["b1"]), gInput(gg, "w2", feeds["w2"]), gInput(gg, "b2", feeds["b2"])
	h := gMust(G.Tanh(gMust(G.BroadcastAdd(gMust(G.Mul(gx, gw1)), gb1, nil, []byte{0}))))
	logits := gMust(G.BroadcastAdd(gMust(G.Mul(h, gw2)), gb2, nil, []byte{0}))
	gcost := gMust(G.Neg(gMust(G.Div(gMust(G.Sum(gMust(G.HadamardProd(gy, gMust(G.LogSoftMax(logits)))))), G.NewConstant(float64(batch))))))

	g := graph.New()
	in64 := func(name string, dims ...int) *graph.Node { return g.Input(name, tensor.Float64, dims...) }
	x, y := in64("x", batch, in), in64("y", batch, out)
	w1, b1, w2, b2 := in64("w1", in, hid), in64("b1", hid), in64("w2", hid, out), in64("b2", out)
	e := g.Axis("example", 0)
	loss := nodes.Mean(vmap.For(e).Do(func() *graph.Node {
		h := nodes.Tanh(nodes.Add(nodes.MatMul(x.At(e, graph.All), w1), b1))
		logp := nodes.LogSoftmax(nodes.Add(nodes.MatMul(h, w2), b2))
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), logp)))
	}))
	gradPair(t, gg, gcost, G.Nodes{gw1, gb1, gw2, gb2}, loss, []*graph.Node{w1, b1, w2, b2}, feeds)
}

func TestGradientsMatchGorgoniaSoftmaxCrossEntropy(t *testing.T) {
	const batch, classes = 5, 7
	r := rand.New(rand.NewSource(12))
	feeds := map[string]*tensor.Dense{"z": randn(r, tensor.Float64, 2, batch, classes)}
	onehot := make([]float64, batch*classes)
	for e := 0; e < batch; e++ {
		onehot[e*classes+r.Intn(classes)] = 1
	}
	feeds["y"] = tensor.New(tensor.WithShape(batch, classes), tensor.WithBacking(onehot))

	gg := G.NewGraph()
	gz, gy := gInput(gg, "z", feeds["z"]), gInput(gg, "y", feeds["y"])
	gcost := gMust(G.Neg(gMust(G.Sum(gMust(G.HadamardProd(gy, gMust(G.Log(gMust(G.SoftMax(gz))))))))))

	g := graph.New()
	z, y := g.Input("z", tensor.Float64, batch, classes), g.Input("y", tensor.Float64, batch, classes)
	e := g.Axis("example", 0)
	loss := nodes.Sum(vmap.For(e).Do(func() *graph.Node {
		return nodes.Neg(nodes.Sum(nodes.Mul(y.At(e, graph.All), nodes.Log(nodes.Softmax(z.At(e, graph.All))))))
	}))
	gradPair(t, gg, gcost, G.Nodes{gz}, loss, []*graph.Node{z}, feeds)
}

func TestGradientsMatchGorgoniaBatchedMatMulChain(t *testing.T) {
	const b, m, k, n, p = 3, 4, 5, 2, 3
	r := rand.New(rand.NewSource(13))
	feeds := map[string]*tensor.Dense{
		"a": randn(r, tensor.Float64, 1, b, m, k), "c": randn(r, tensor.Float64, 1, b, k, n),
		"d": randn(r, tensor.Float64, 1, b, n, p), "w": randn(r, tensor.Float64, 1, b, m, p),
	}
	gg := G.NewGraph()
	ga, gc, gd, gw := gInput(gg, "a", feeds["a"]), gInput(gg, "c", feeds["c"]), gInput(gg, "d", feeds["d"]), gInput(gg, "w", feeds["w"])
	prod := gMust(G.BatchedMatMul(gMust(G.BatchedMatMul(ga, gc)), gd))
	gcost := gMust(G.Sum(gMust(G.HadamardProd(gMust(G.Tanh(prod)), gw))))

	g := graph.New()
	in64 := func(name string, dims ...int) *graph.Node { return g.Input(name, tensor.Float64, dims...) }
	a, c, d, w := in64("a", b, m, k), in64("c", b, k, n), in64("d", b, n, p), in64("w", b, m, p)
	i := g.Axis("i", 0)
	all := graph.All
	loss := nodes.Sum(vmap.For(i).Do(func() *graph.Node {
		y := nodes.MatMul(nodes.MatMul(a.At(i, all, all), c.At(i, all, all)), d.At(i, all, all))
		return nodes.Sum(nodes.Mul(nodes.Tanh(y), w.At(i, all, all)))
	}))
	gradPair(t, gg, gcost, G.Nodes{ga, gc, gd}, loss, []*graph.Node{a, c, d}, feeds)
}
