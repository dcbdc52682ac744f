package nn_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// The gradient of a small causal transformer's batched loss with respect to
// every parameter matches central finite differences (float64), on the
// reference interpreter and on the optimized CPU program: autodiff sees
// through everything nn builds (loops, the mask, gathers, LayerNorm).
func TestGradFiniteDifferences(t *testing.T) {
	const batch, seq, vocab, d, heads, hidden = 2, 3, 5, 4, 2, 6
	dt := tensor.Float64
	r := rand.New(rand.NewPCG(21, 22))
	g := graph.New()
	p := nn.NewParams(g, dt)
	tok := nn.NewEmbedding(p, "tok", vocab, d, r)
	blk := nn.NewTransformerBlock(p, "block0", nn.BlockConfig{Dim: d, Heads: heads, Hidden: hidden, Causal: true}, r)
	head := nn.NewLinear(p, "head", d, vocab, r)
	randomize(t, p, r, 0.7)
	ids := g.Input("ids", tensor.Int64, batch, seq)
	xs := g.Input("xs", dt, batch, seq, d)
	b, s, u := g.Axis("b", 0), g.Axis("s", 0), g.Axis("u", 0)
	// Two losses summed: cross-entropy of next-token logits, and an MSE
	// that reaches the block from a continuous input too.
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		x := vmap.For(s).Do(func() *graph.Node { return tok.Apply(ids.At(b, s)) })
		h := blk.Apply(nodes.Add(x, xs.At(b, graph.All, graph.All)))
		ce := nodes.Mean(vmap.For(u).Do(func() *graph.Node {
			return nn.CrossEntropy(head.Apply(h.At(u, graph.All)), ids.At(b, u))
		}))
		return nodes.Add(ce, nn.MSE(h, xs.At(b, graph.All, graph.All)))
	}))
	grads := autodiff.Grad(loss, p.Nodes()...)
	require.NoError(t, g.Err(), "building the gradient")
	xt, _ := randT(r, dt, batch, seq, d)
	feeds := p.Feeds(map[string]*tensor.Dense{
		"ids": dense.FromI64([]int{batch, seq}, []int64{1, 4, 0, 2, 2, 3}),
		"xs":  xt,
	})

	f, err := exec.Compile([]*graph.Node{loss}, exec.Reference())
	require.NoError(t, err)
	eval := func() float64 {
		out, err := f.Run(feeds)
		require.NoError(t, err)
		return dense.F64(out[0])[0]
	}
	const h = 1e-6
	want := make([][]float64, len(grads))
	for k, v := range p.Values() {
		x := v.Float64s()
		want[k] = make([]float64, len(x))
		for i := range x {
			old := x[i]
			x[i] = old + h
			up := eval()
			x[i] = old - h
			down := eval()
			x[i] = old
			want[k][i] = (up - down) / (2 * h)
		}
		// Every parameter reaches the loss: none is checked against zeros only.
		require.True(t, slices.ContainsFunc(want[k], func(v float64) bool { return math.Abs(v) > 1e-4 }), "%s has no gradient", p.Names()[k])
	}
	for _, be := range backends {
		got := run(t, be.opt, grads, feeds)
		for k, name := range p.Names() {
			gv := dense.F64(got[k])
			bad := 0
			for i := range gv {
				if math.Abs(gv[i]-want[k][i]) > 1e-6+1e-5*math.Abs(want[k][i]) {
					if bad++; bad <= 2 {
						t.Errorf("%s: d loss/d %s[%d] = %v, finite differences %v", be.name, name, i, gv[i], want[k][i])
					}
				}
			}
		}
	}
}
