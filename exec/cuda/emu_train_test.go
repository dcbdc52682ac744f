package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec/cpu"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// The loss and every parameter's gradient of a small causal transformer
// language model (token and position embeddings, one block, a norm, a
// linear head, cross-entropy; float32 — the shape of examples/attention's
// reverser) run entirely on the emulated device, no op on the host, and
// agree with the reference interpreter and the CPU backend.
func TestEmuTransformerGrad(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	const batch, seq, vocab, d, heads = 3, 6, 11, 16, 2
	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	r := rand.New(rand.NewPCG(11, 13))
	tok := nn.NewEmbedding(p, "tok", vocab, d, r)
	pos := nn.NewEmbedding(p, "pos", seq, d, r)
	blk := nn.NewTransformerBlock(p, "block", nn.BlockConfig{Dim: d, Heads: heads, Hidden: 4 * d, Causal: true}, r)
	norm := nn.NewLayerNorm(p, "norm", d)
	head := nn.NewLinear(p, "head", d, vocab, r)
	src := g.Input("src", tensor.Int64, batch, seq)
	dst := g.Input("dst", tensor.Int64, batch, seq)
	b, s, u := g.Axis("b", 0), g.Axis("s", 0), g.Axis("t", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		x := vmap.For(s).Do(func() *graph.Node { return nodes.Add(tok.Apply(src.At(b, s)), pos.Apply(s.Value())) })
		h := blk.Apply(x)
		return vmap.For(u).Do(func() *graph.Node {
			return nn.CrossEntropy(head.Apply(norm.Apply(h.At(u, graph.All))), dst.At(b, u))
		})
	}))
	outs := append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	// The reverser's data: the target is the source reversed; token 0
	// repeats (several rows of one embedding's gradient).
	in, out := make([]int64, batch*seq), make([]int64, batch*seq)
	for i := range batch {
		for j := range seq {
			in[i*seq+j] = int64(r.IntN(vocab))
			if j%2 == 0 {
				in[i*seq+j] = 0
			}
		}
		for j := range seq {
			out[i*seq+j] = in[i*seq+seq-1-j]
		}
	}
	feeds := p.Feeds(map[string]*tensor.Dense{"src": dense.FromI64([]int{batch, seq}, in), "dst": dense.FromI64([]int{batch, seq}, out)})

	want, err := refRunner(outs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	lowered := optimized(t, outs...)
	order := graph.Needed(lowered)
	ops := map[string]int{}
	for _, n := range order {
		ops[n.Op().Name()]++
	}
	if ops["scatter"] == 0 {
		t.Errorf("the optimized gradient has no scatter (ops %v)", ops)
	}
	env := map[*graph.Node]*tensor.Dense{}
	for _, x := range g.Inputs() {
		env[x] = feeds[x.Op().(*graph.Input).Label]
	}
	if err := (cpu.Backend{}).Run(order, lowered, env); err != nil {
		t.Fatal(err)
	}
	cpuGot := make([]*tensor.Dense, len(lowered))
	for k, o := range lowered {
		cpuGot[k] = env[o]
	}

	em := newEmu(t)
	t.Setenv("LOOM_CUDA_HOST", "0")
	bk := newBackend(newEngine(em))
	if err := bk.Prepare(order, lowered); err != nil {
		t.Fatalf("the gradient does not run entirely on the device: %v", err)
	}
	if h := bk.HostOps(); len(h) > 0 {
		t.Fatalf("ops on the host: %v", h)
	}
	denv := map[*graph.Node]*tensor.Dense{}
	for _, x := range g.Inputs() {
		denv[x] = feeds[x.Op().(*graph.Input).Label]
	}
	if err := bk.Run(order, lowered, denv); err != nil {
		t.Fatal(err)
	}
	names := append([]string{"loss"}, p.Names()...)
	for k, o := range lowered {
		got := denv[o]
		if e := relErr(got, want[k]); !(e <= 1e-4) {
			t.Errorf("%s: device vs reference: relative error %.3g", names[k], e)
		}
		if e := relErr(got, cpuGot[k]); !(e <= 1e-4) {
			t.Errorf("%s: device vs CPU: relative error %.3g", names[k], e)
		}
	}
	t.Logf("%d ops (%d scatters), %d kernel launches; loss %v", len(order), ops["scatter"], em.launches, dense.F64(denv[lowered[0]])[0])
}

// relErr is the largest difference between two values relative to the
// largest magnitude of want (NaN where shapes differ or a value is not
// finite).
func relErr(got, want *tensor.Dense) float64 {
	if fmt.Sprint(dense.Shape(got)) != fmt.Sprint(dense.Shape(want)) || got.Dtype() != want.Dtype() {
		return math.NaN()
	}
	gv, wv := dense.F64(got), dense.F64(want)
	var diff, scale float64
	for k := range gv {
		if math.IsNaN(gv[k]) || math.IsInf(gv[k], 0) {
			return math.NaN()
		}
		diff = math.Max(diff, math.Abs(gv[k]-wv[k]))
		scale = math.Max(scale, math.Abs(wv[k]))
	}
	if diff == 0 {
		return 0
	}
	return diff / scale
}
