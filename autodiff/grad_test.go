package autodiff_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/gradcheck"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

var all = graph.All

func rng() *rand.Rand { return rand.New(rand.NewPCG(7, 11)) }

// dot is the loss Σ y·r for a fixed random r, so every element of y gets a
// different cotangent.
func dot(y *graph.Node, seed uint64) *graph.Node {
	r := rand.New(rand.NewPCG(seed, 3))
	return nodes.Sum(nodes.Mul(y, y.Graph().Const(gradcheck.Randn(r, y.Shape()...))))
}

func check(t *testing.T, build func(g *graph.Graph, in []*graph.Node) *graph.Node, inputs []gradcheck.Input, data map[string]*tensor.Dense) {
	t.Helper()
	require.NoError(t, gradcheck.Check(build, inputs, gradcheck.Options{Data: data}))
}

func TestGradIndexing(t *testing.T) {
	r := rng()
	idx := dense.FromI64(nil, []int64{2})
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		x := in[0]
		i := g.Input("i", tensor.Int64)
		a := dot(x.At(1, all), 1)
		b := dot(x.At(graph.Span(0, 4, 2), graph.Span(1, 3, 1)), 2)
		c := dot(x.At(i, all), 3) // a gather by a fed index
		return nodes.Add(nodes.Add(a, b), c)
	}, []gradcheck.Input{{Name: "x", Value: gradcheck.Randn(r, 4, 3)}}, map[string]*tensor.Dense{"i": idx})
}

// A loop with a mapped input (x rows) and shared ones (W, v): the shared
// gradients are sums over the loop axis.
func TestGradLoopMappedAndShared(t *testing.T) {
	r := rng()
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		x, W, v := in[0], in[1], in[2]
		i := g.Axis("i", 0)
		y := vmap.For(i).Do(func() *graph.Node {
			return nodes.Sum(nodes.Mul(nodes.Tanh(nodes.MatMul(x.At(i, all), W)), v))
		})
		return dot(y, 4)
	}, []gradcheck.Input{
		{Name: "x", Value: gradcheck.Randn(r, 5, 3)},
		{Name: "W", Value: gradcheck.Randn(r, 3, 4)},
		{Name: "v", Value: gradcheck.Randn(r, 4)},
	}, nil)
}

// The essay's D[k,n]: nested loops, inputs mapped on different dims.
func TestGradNestedLoops(t *testing.T) {
	r := rng()
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		A, B, C := in[0], in[1], in[2]
		k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
		D := vmap.For(k, n).Do(func() *graph.Node {
			return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
				return nodes.Mul(nodes.Mul(A.At(k, l, m), B.At(l, n)), C.At(k, m))
			}))
		})
		return dot(D, 5)
	}, []gradcheck.Input{
		{Name: "A", Value: gradcheck.Randn(r, 3, 4, 5)},
		{Name: "B", Value: gradcheck.Randn(r, 4, 2)},
		{Name: "C", Value: gradcheck.Randn(r, 3, 5)},
	}, nil)
}

// Multi-head attention exactly as the example writes it: loops over heads,
// over rows for the softmax, and over positions for the layout.
func TestGradAttention(t *testing.T) {
	r := rng()
	const s, d, h, dk = 5, 4, 2, 3
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		return dot(mha.MultiHead(in[0], in[1], in[2], in[3], in[4]), 6)
	}, []gradcheck.Input{
		{Name: "x", Value: gradcheck.Randn(r, s, d)},
		{Name: "wq", Value: gradcheck.Randn(r, h, d, dk)},
		{Name: "wk", Value: gradcheck.Randn(r, h, d, dk)},
		{Name: "wv", Value: gradcheck.Randn(r, h, d, dk)},
		{Name: "wo", Value: gradcheck.Randn(r, h, dk, d)},
	}, nil)
}

// An embedding lookup in a loop over a batch with repeated ids: the table's
// gradient adds the rows' cotangents.
func TestGradEmbedding(t *testing.T) {
	r := rng()
	ids := dense.FromI64([]int{6}, []int64{1, 3, 1, 0, 3, 3})
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		table := in[0]
		id := g.Input("ids", tensor.Int64, 6)
		b := g.Axis("b", 0)
		e := vmap.For(b).Do(func() *graph.Node { return nodes.Tanh(table.At(id.At(b), all)) })
		return dot(e, 7)
	}, []gradcheck.Input{{Name: "table", Value: gradcheck.Randn(r, 4, 3)}}, map[string]*tensor.Dense{"ids": ids})
}

// The loop index as a value (Hilbert-like weights) and a value defined
// inside the loop indexed by the loop's own axis.
func TestGradAxisValue(t *testing.T) {
	r := rng()
	check(t, func(g *graph.Graph, in []*graph.Node) *graph.Node {
		x := in[0]
		i := g.Axis("i", 4)
		y := vmap.For(i).Do(func() *graph.Node {
			w := nodes.Offset(nodes.Cast(i.Value(), tensor.Float64), 1)
			sq := nodes.Mul(x, x) // built inside the loop: indexed by i's value
			return nodes.Div(sq.At(i, all), w)
		})
		return dot(y, 8)
	}, []gradcheck.Input{{Name: "x", Value: gradcheck.Randn(r, 4, 3)}}, nil)
}

// Grad inside a loop gives per-example gradients; their sum is the gradient
// of the summed loss.
func TestPerExampleGrad(t *testing.T) {
	r := rng()
	g := graph.New()
	x := g.Input("x", tensor.Float64, 6, 3)
	W := g.Input("W", tensor.Float64, 3, 2)
	b := g.Axis("b", 0)
	per := vmap.For(b).Do(func() *graph.Node {
		l := nodes.Sum(nodes.Tanh(nodes.MatMul(x.At(b, all), W)))
		return autodiff.Grad(l, W)[0]
	})
	total := autodiff.Grad(nodes.Sum(vmap.For(b).Do(func() *graph.Node {
		return nodes.Sum(nodes.Tanh(nodes.MatMul(x.At(b, all), W)))
	})), W)[0]
	require.NoError(t, g.Err())
	require.Equal(t, []int{6, 3, 2}, per.Shape())
	p, err := exec.Compile([]*graph.Node{per, total})
	require.NoError(t, err)
	out, err := p.Run(map[string]*tensor.Dense{"x": gradcheck.Randn(r, 6, 3), "W": gradcheck.Randn(r, 3, 2)})
	require.NoError(t, err)
	pv, tv := dense.F64(out[0]), dense.F64(out[1])
	for e := range tv {
		s := 0.0
		for k := 0; k < 6; k++ {
			s += pv[k*6+e]
		}
		assert.InDelta(t, tv[e], s, 1e-12)
	}
}

func TestGradErrors(t *testing.T) {
	for _, c := range []struct {
		name, want string
		build      func(g *graph.Graph, x, i *graph.Node) []*graph.Node
	}{
		{"non-scalar loss", "loss must be a scalar, got [3 2]", func(g *graph.Graph, x, i *graph.Node) []*graph.Node {
			return autodiff.Grad(x, x)
		}},
		{"integer loss", "loss has dtype int64", func(g *graph.Graph, x, i *graph.Node) []*graph.Node {
			return autodiff.Grad(nodes.Sum(i), x)
		}},
		{"integer wrt", "wrt 0 [4] has dtype int64", func(g *graph.Graph, x, i *graph.Node) []*graph.Node {
			return autodiff.Grad(nodes.Sum(x), i)
		}},
		{"nil wrt", "wrt 1 is nil", func(g *graph.Graph, x, i *graph.Node) []*graph.Node {
			return autodiff.Grad(nodes.Sum(x), x, nil)
		}},
		{"op without gradient", "mystery at grad_test.go", func(g *graph.Graph, x, i *graph.Node) []*graph.Node {
			y := nodes.Custom("mystery", func(in []graph.Type) (graph.Type, error) { return in[0], nil },
				func(in []*tensor.Dense) (*tensor.Dense, error) { return in[0], nil }, x)
			return autodiff.Grad(nodes.Sum(y), x)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Float64, 3, 2)
			i := g.Input("i", tensor.Int64, 4)
			out := c.build(g, x, i)
			require.Error(t, g.Err())
			assert.Contains(t, g.Err().Error(), c.want)
			assert.True(t, strings.Contains(g.Err().Error(), "grad_test.go:"), g.Err().Error())
			_, err := exec.Compile(out)
			assert.Error(t, err)
		})
	}
}

// A value that does not reach the loss has a zero gradient.
func TestGradUnreachable(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2)
	y := g.Input("y", tensor.Float64, 3)
	gr := autodiff.Grad(nodes.Sum(nodes.Exp(x)), y)
	p, err := exec.Compile(gr)
	require.NoError(t, err)
	out, err := p.Run(map[string]*tensor.Dense{"x": dense.FromF64(tensor.Float64, []int{2}, []float64{1, 2}), "y": dense.Zeros(tensor.Float64, []int{3})})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 0}, dense.F64(out[0]))
}

// The gradient of a shared table read per example is one scatter of all the
// examples' rows, never one table-sized gradient per example summed
// afterwards: the program's peak stays near one table, far below batch
// tables.
func TestEmbeddingGradientScattersOnce(t *testing.T) {
	const batch, vocab, d = 64, 1000, 16
	g := graph.New()
	table := g.Input("table", tensor.Float32, vocab, d)
	ids := g.Input("ids", tensor.Int64, batch)
	b := g.Axis("b", 0)
	e := vmap.For(b).Do(func() *graph.Node { return nodes.Tanh(table.At(ids.At(b), all)) })
	grad := autodiff.Grad(dot(nodes.Cast(e, tensor.Float64), 9), table)[0]
	p, err := exec.Compile([]*graph.Node{grad})
	require.NoError(t, err)
	perExample := int64(batch * vocab * d * 4)
	assert.Less(t, p.PeakBytes(), perExample/8, p.Explain())
	// And it is right: compare with the reference.
	r := rng()
	idv := make([]int64, batch)
	for k := range idv {
		idv[k] = r.Int64N(vocab)
	}
	feeds := map[string]*tensor.Dense{"table": dense.FromF64(tensor.Float32, []int{vocab, d}, dense.F64(gradcheck.Randn(r, vocab, d))), "ids": dense.FromI64([]int{batch}, idv)}
	got, err := p.Run(feeds)
	require.NoError(t, err)
	ref, err := exec.Compile([]*graph.Node{grad}, exec.Reference())
	require.NoError(t, err)
	want, err := ref.Run(feeds)
	require.NoError(t, err)
	gv, wv := dense.F64(got[0]), dense.F64(want[0])
	for k := range wv {
		require.InDelta(t, wv[k], gv[k], 1e-5*(1+abs(wv[k])), "element %d", k)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
