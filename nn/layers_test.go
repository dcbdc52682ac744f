package nn_test

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// perRow applies f to each length-n row of flat and concatenates the results.
func perRow(flat []float64, n int, f func([]float64) []float64) []float64 {
	var out []float64
	for i := 0; i < len(flat); i += n {
		out = append(out, f(flat[i:i+n])...)
	}
	return out
}

// checkAll runs outs on every backend and compares output k with want[k].
func checkAll(t *testing.T, dt tensor.Dtype, outs []*graph.Node, feeds map[string]*tensor.Dense, want [][]float64) {
	t.Helper()
	for _, be := range backends {
		got := run(t, be.opt, outs, feeds)
		for k := range outs {
			near(t, want[k], got[k], tol(dt), be.name+" output "+string(rune('0'+k)))
		}
	}
}

// oneAndBatch applies f to one example x [n] and, in a loop, to a batch xs
// [b, n]: every module is checked both ways.
func oneAndBatch(g *graph.Graph, dt tensor.Dtype, n, b int, f func(*graph.Node) *graph.Node) (one, many *graph.Node) {
	x, xs := g.Input("x", dt, n), g.Input("xs", dt, b, n)
	i := g.Axis("b", 0)
	return f(x), vmap.For(i).Do(func() *graph.Node { return f(xs.At(i, graph.All)) })
}

func TestVectorModules(t *testing.T) {
	const n, b = 6, 4
	cases := []struct {
		name  string
		build func(p *nn.Params, r *rand.Rand) func(*graph.Node) *graph.Node
		plain func(w block) func([]float64) []float64
		out   int
	}{
		{"Linear", func(p *nn.Params, r *rand.Rand) func(*graph.Node) *graph.Node {
			return nn.NewLinear(p, "fc", n, 3, r).Apply
		}, func(w block) func([]float64) []float64 {
			return func(x []float64) []float64 { return pLinear(x, w["fc.w"], w["fc.b"]) }
		}, 3},
		{"LayerNorm", func(p *nn.Params, r *rand.Rand) func(*graph.Node) *graph.Node {
			return nn.NewLayerNorm(p, "ln", n).Apply
		}, func(w block) func([]float64) []float64 {
			return func(x []float64) []float64 { return pLayerNorm(x, w["ln.gain"], w["ln.bias"], 1e-5) }
		}, n},
		{"Gelu", func(p *nn.Params, r *rand.Rand) func(*graph.Node) *graph.Node {
			return nn.Gelu
		}, func(block) func([]float64) []float64 { return pGelu }, n},
		{"MLP", func(p *nn.Params, r *rand.Rand) func(*graph.Node) *graph.Node {
			return nn.NewMLP(p, "mlp", n, 10, r).Apply
		}, func(w block) func([]float64) []float64 { return w.mlp }, n},
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				r := rand.New(rand.NewPCG(1, 2))
				g := graph.New()
				p := nn.NewParams(g, dt)
				f := c.build(p, r)
				randomize(t, p, r, 1)
				one, many := oneAndBatch(g, dt, n, b, f)
				x, xv := randT(r, dt, n)
				xs, xsv := randT(r, dt, b, n)
				pf := c.plain(weights(p))
				checkAll(t, dt, []*graph.Node{one, many}, p.Feeds(map[string]*tensor.Dense{"x": x, "xs": xs}),
					[][]float64{pf(xv), perRow(xsv, n, pf)})
			})
		}
	}
}

// LayerNorm of a constant vector divides 0 by √eps: the result is the bias,
// not NaN.
func TestLayerNormConstant(t *testing.T) {
	g := graph.New()
	p := nn.NewParams(g, tensor.Float64)
	ln := nn.NewLayerNorm(p, "ln", 4)
	x := g.Input("x", tensor.Float64, 4)
	y := ln.Apply(x)
	feeds := p.Feeds(map[string]*tensor.Dense{"x": dense.FromF64(tensor.Float64, []int{4}, []float64{3, 3, 3, 3})})
	checkAll(t, tensor.Float64, []*graph.Node{y}, feeds, [][]float64{{0, 0, 0, 0}})
}

func TestEmbedding(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			const vocab, d, seq = 7, 5, 6
			r := rand.New(rand.NewPCG(3, 4))
			g := graph.New()
			p := nn.NewParams(g, dt)
			emb := nn.NewEmbedding(p, "tok", vocab, d, r)
			pos := nn.NewEmbedding(p, "pos", seq, d, r)
			id := g.Input("id", tensor.Int64)
			ids := g.Input("ids", tensor.Int64, seq)
			s := g.Axis("s", 0)
			one := emb.Apply(id)
			// Token plus position embedding: the position is the loop index.
			many := vmap.For(s).Do(func() *graph.Node {
				return nodes.Add(emb.Apply(ids.At(s)), pos.Apply(s.Value()))
			})
			idv := []int64{6, 0, 3, 3, 1, 5}
			tab, pt := weights(p)["tok.table"], weights(p)["pos.table"]
			var want []float64
			for k, i := range idv {
				for j := 0; j < d; j++ {
					want = append(want, tab[int(i)*d+j]+pt[k*d+j])
				}
			}
			feeds := p.Feeds(map[string]*tensor.Dense{"id": dense.FromI64(nil, []int64{2}), "ids": dense.FromI64([]int{seq}, idv)})
			checkAll(t, dt, []*graph.Node{one, many}, feeds, [][]float64{tab[2*d : 3*d], want})

			// An id out of range is a Run error, never a read past the table.
			for _, be := range backends {
				prog, err := compile(one, be.opt)
				if err != nil {
					t.Fatal(err)
				}
				feeds["id"] = dense.FromI64(nil, []int64{vocab})
				if _, err := prog.Run(feeds); err == nil {
					t.Errorf("%s: id %d of a %d-row table ran without error", be.name, vocab, vocab)
				}
			}
		})
	}
}
