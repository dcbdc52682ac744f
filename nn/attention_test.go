package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/vmap"
)

// seqCase applies a sequence module to one sequence x [seq, d] and, in a
// loop, to a batch xs [b, seq, d], and compares both with the plain-Go
// module applied sequence by sequence.
func seqCase(t *testing.T, dt tensor.Dtype, seq, d, b int, r *rand.Rand, p *nn.Params,
	f func(*graph.Node) *graph.Node, plain func([][]float64) [][]float64) {
	t.Helper()
	g := p.Graph()
	x, xs := g.Input("x", dt, seq, d), g.Input("xs", dt, b, seq, d)
	i := g.Axis("b", 0)
	one := f(x)
	many := vmap.For(i).Do(func() *graph.Node { return f(xs.At(i, graph.All, graph.All)) })
	xt, xv := randT(r, dt, seq, d)
	xst, xsv := randT(r, dt, b, seq, d)
	var want []float64
	for k := 0; k < b; k++ {
		want = append(want, flatten(plain(rows(xsv[k*seq*d:(k+1)*seq*d], seq, d)))...)
	}
	checkAll(t, dt, []*graph.Node{one, many}, p.Feeds(map[string]*tensor.Dense{"x": xt, "xs": xst}),
		[][]float64{flatten(plain(rows(xv, seq, d))), want})
}

func TestAttention(t *testing.T) {
	for _, causal := range []bool{false, true} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("causal=%v/%v", causal, dt), func(t *testing.T) {
				const seq, d, dk = 5, 6, 3
				r := rand.New(rand.NewPCG(5, 6))
				g := graph.New()
				p := nn.NewParams(g, dt) // holds the head's weights; Attention itself has none
				wq, qv := randT(r, dt, d, dk)
				wk, kv := randT(r, dt, d, dk)
				wv, vv := randT(r, dt, d, dk)
				nq, nk, nv := p.Add("wq", wq), p.Add("wk", wk), p.Add("wv", wv)
				seqCase(t, dt, seq, d, 3, r, p,
					func(x *graph.Node) *graph.Node { return nn.Attention(x, nq, nk, nv, causal) },
					func(x [][]float64) [][]float64 {
						return pAttention(x, rows(qv, d, dk), rows(kv, d, dk), rows(vv, d, dk), causal)
					})
			})
		}
	}
}

func TestMultiHeadAttention(t *testing.T) {
	for _, causal := range []bool{false, true} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("causal=%v/%v", causal, dt), func(t *testing.T) {
				const seq, d, heads = 5, 8, 2
				r := rand.New(rand.NewPCG(7, 8))
				g := graph.New()
				p := nn.NewParams(g, dt)
				m := nn.NewMultiHeadAttention(p, "attn", d, heads, causal, r)
				w := weights(p)
				seqCase(t, dt, seq, d, 3, r, p, m.Apply, func(x [][]float64) [][]float64 {
					return pMHA(x, w["attn.wq"], w["attn.wk"], w["attn.wv"], w["attn.wo"], heads, causal)
				})
			})
		}
	}
}

func TestTransformerBlock(t *testing.T) {
	for _, causal := range []bool{false, true} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("causal=%v/%v", causal, dt), func(t *testing.T) {
				const seq, d, heads, hidden = 4, 8, 2, 12
				r := rand.New(rand.NewPCG(9, 10))
				g := graph.New()
				p := nn.NewParams(g, dt)
				blk := nn.NewTransformerBlock(p, "block0", nn.BlockConfig{Dim: d, Heads: heads, Hidden: hidden, Causal: causal}, r)
				randomize(t, p, r, 0.5)
				w := weights(p.Scope("block0"))
				seqCase(t, dt, seq, d, 2, r, p, blk.Apply, func(x [][]float64) [][]float64 {
					return pBlock(x, w, heads, causal)
				})
			})
		}
	}
}

// Two blocks stacked: the second block's loops nest after the first's, and
// every parameter is named under its own block.
func TestTwoBlocks(t *testing.T) {
	const seq, d, heads, hidden = 3, 4, 2, 8
	dt := tensor.Float64
	r := rand.New(rand.NewPCG(11, 12))
	g := graph.New()
	p := nn.NewParams(g, dt)
	cfg := nn.BlockConfig{Dim: d, Heads: heads, Hidden: hidden, Causal: true}
	b0, b1 := nn.NewTransformerBlock(p, "block0", cfg, r), nn.NewTransformerBlock(p, "block1", cfg, r)
	randomize(t, p, r, 0.5)
	if got := len(p.Scope("block1").Names()); got != 12 {
		t.Errorf("block1 has %d parameters, want 12: %v", got, p.Scope("block1").Names())
	}
	w0, w1 := weights(p.Scope("block0")), weights(p.Scope("block1"))
	seqCase(t, dt, seq, d, 2, r, p,
		func(x *graph.Node) *graph.Node { return b1.Apply(b0.Apply(x)) },
		func(x [][]float64) [][]float64 { return pBlock(pBlock(x, w0, heads, true), w1, heads, true) })
}

func TestCausalMask(t *testing.T) {
	const n = 4
	g := graph.New()
	m := nn.CausalMask(g, n, tensor.Float32)
	want := make([]float64, 0, n*n)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			if c > r {
				want = append(want, -1e9)
			} else {
				want = append(want, 0)
			}
		}
	}
	checkAll(t, tensor.Float32, []*graph.Node{m}, nil, [][]float64{want})
}
