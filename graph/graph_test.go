package graph_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

func run(t *testing.T, feeds map[*graph.Node]*tensor.Dense, out *graph.Node) *tensor.Dense {
	t.Helper()
	require.NoError(t, out.Graph().Err())
	env := map[*graph.Node]*tensor.Dense{}
	for k, v := range feeds {
		env[k] = v
	}
	require.NoError(t, graph.Interpret(graph.Needed([]*graph.Node{out}), env))
	return env[out]
}

func seq(shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = float64(k)
	}
	return dense.FromF64(tensor.Float64, shape, v)
}

func TestInputAndConstErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *graph.Graph)
		want  string
	}{
		{"dup", func(g *graph.Graph) { g.Input("x", tensor.Float64, 2); g.Input("x", tensor.Float64, 2) }, `input "x" declared twice`},
		{"empty", func(g *graph.Graph) { g.Input("", tensor.Float64) }, "empty name"},
		{"dtype", func(g *graph.Graph) { g.Input("x", tensor.Uint8, 2) }, "unsupported dtype"},
		{"negative", func(g *graph.Graph) { g.Input("x", tensor.Float64, 2, -1) }, "negative dim"},
		{"nilconst", func(g *graph.Graph) { g.Const(nil) }, "nil tensor"},
		{"intscalar", func(g *graph.Graph) { g.Scalar(1.5, tensor.Int64) }, "not an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			c.build(g)
			require.Error(t, g.Err())
			assert.Contains(t, g.Err().Error(), c.want)
			assert.Contains(t, g.Err().Error(), "graph_test.go:")
		})
	}
}

func TestConstIsCopied(t *testing.T) {
	g := graph.New()
	v := seq(3)
	c := g.Const(v)
	v.Float64s()[0] = 99
	got := run(t, nil, c)
	assert.Equal(t, []float64{0, 1, 2}, got.Float64s())
}

func TestSelectAndGather(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	feeds := map[*graph.Node]*tensor.Dense{x: seq(3, 4)}
	row := x.At(1, graph.All)
	assert.Equal(t, []int{4}, row.Shape())
	assert.Equal(t, []float64{4, 5, 6, 7}, run(t, feeds, row).Float64s())
	sp := x.At(graph.Span(0, 3, 2), graph.Span(1, 4, 2))
	assert.Equal(t, []int{2, 2}, sp.Shape())
	assert.Equal(t, []float64{1, 3, 9, 11}, run(t, feeds, sp).Float64s())
	el := x.At(2, 3)
	assert.Equal(t, 0, el.Rank())
	assert.Equal(t, []float64{11}, run(t, feeds, el).Float64s())
	i := g.Input("i", tensor.Int64)
	gat := x.At(graph.All, i)
	feeds[i] = tensor.New(tensor.WithShape(), tensor.WithBacking([]int64{2}))
	assert.Equal(t, []float64{2, 6, 10}, run(t, feeds, gat).Float64s())
}

func TestAtErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *graph.Graph, x *graph.Node)
		want  string
	}{
		{"count", func(g *graph.Graph, x *graph.Node) { x.At(0) }, "1 indices for 2 dims [3 4]"},
		{"range", func(g *graph.Graph, x *graph.Node) { x.At(3, graph.All) }, "index 3 out of range [0,3)"},
		{"type", func(g *graph.Graph, x *graph.Node) { x.At("a", graph.All) }, "index 0 has type string"},
		{"span", func(g *graph.Graph, x *graph.Node) { x.At(graph.Span(0, 9, 1), graph.All) }, "span 0:9:1 does not fit dim 0"},
		{"axis outside loop", func(g *graph.Graph, x *graph.Node) { x.At(g.Axis("i", 0), graph.All) }, "axis i is not looped over here"},
		{"float index", func(g *graph.Graph, x *graph.Node) { x.At(x.At(0, 0), graph.All) }, "must be an int64 scalar"},
		{"axis size", func(g *graph.Graph, x *graph.Node) {
			i := g.Axis("i", 5)
			g.Loop(i, func() *graph.Node { return x.At(i, graph.All) })
		}, "axis i has size 5 but dim 0 of [3 4] has size 3"},
		{"unsized", func(g *graph.Graph, x *graph.Node) {
			i := g.Axis("i", 0)
			g.Loop(i, func() *graph.Node { return x })
		}, "axis i has no size"},
		{"escape", func(g *graph.Graph, x *graph.Node) {
			i := g.Axis("i", 0)
			var leak *graph.Node
			g.Loop(i, func() *graph.Node { leak = x.At(i, graph.All); return leak })
			leak.At(0)
		}, "built inside the loop over i"},
		{"reloop", func(g *graph.Graph, x *graph.Node) {
			i := g.Axis("i", 0)
			g.Loop(i, func() *graph.Node { return g.Loop(i, func() *graph.Node { return x }) })
		}, "already looped over"},
		{"value outside", func(g *graph.Graph, x *graph.Node) { g.Axis("k", 3).Value() }, "axis k is not looped over here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Float64, 3, 4)
			c.build(g, x)
			require.Error(t, g.Err())
			assert.Contains(t, g.Err().Error(), c.want)
			assert.Contains(t, g.Err().Error(), "graph_test.go:")
		})
	}
}

func TestPoisonKeepsFirstError(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	bad := x.At(7, graph.All)
	first := g.Err()
	require.Error(t, first)
	worse := bad.At(0).At(graph.All, 1)
	assert.Equal(t, first, g.Err())
	assert.Error(t, worse.Err())
	assert.Empty(t, worse.Shape())
	assert.Equal(t, 0, worse.Dim(3))
	x.At(9, 9) // a fresh error later does not replace the first
	assert.Equal(t, first, g.Err())
	var nilNode *graph.Node
	assert.NotPanics(t, func() { nilNode.At(0); _ = nilNode.Shape(); _ = nilNode.Rank() })
}

func TestLoopMapsAndShares(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	w := g.Input("w", tensor.Float64, 4)
	i := g.Axis("i", 0)
	var row *graph.Node
	y := g.Loop(i, func() *graph.Node {
		row = x.At(i, graph.All)
		assert.Equal(t, []*graph.Axis{i}, row.Mapped())
		assert.Equal(t, []int{4}, row.Shape())
		return row
	})
	require.NoError(t, g.Err())
	assert.Equal(t, 3, i.Size(), "size taken from first use")
	assert.Equal(t, []int{3, 4}, y.Shape())
	assert.Empty(t, y.Mapped())
	assert.Equal(t, "f64[i=3 4]", y.Type().String())
	feeds := map[*graph.Node]*tensor.Dense{x: seq(3, 4), w: seq(4)}
	assert.Equal(t, seq(3, 4).Float64s(), run(t, feeds, y).Float64s())
	// A shared value is broadcast along the loop.
	z := g.Loop(g.Axis("k", 2), func() *graph.Node { return w })
	assert.Equal(t, []float64{0, 1, 2, 3, 0, 1, 2, 3}, run(t, feeds, z).Float64s())
}

func TestNestedLoopsAndValue(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 2) // stored [j, i]
	i, j := g.Axis("i", 2), g.Axis("j", 3)
	y := g.Loop(i, func() *graph.Node {
		return g.Loop(j, func() *graph.Node {
			v := x.At(j, i)
			assert.Equal(t, []*graph.Axis{i, j}, v.Mapped())
			return v
		})
	})
	require.NoError(t, g.Err())
	assert.Equal(t, []int{2, 3}, y.Shape())
	// y[i][j] = x[j][i]: a transpose.
	assert.Equal(t, []float64{0, 2, 4, 1, 3, 5}, run(t, map[*graph.Node]*tensor.Dense{x: seq(3, 2)}, y).Float64s())

	// Axis.Value: iv[i] = i.
	k := g.Axis("k", 4)
	iv := g.Loop(k, func() *graph.Node { return k.Value() })
	assert.Equal(t, []int64{0, 1, 2, 3}, run(t, nil, iv).Int64s())

	// Indexing an in-loop value with its own loop axis is a gather by the
	// index: the diagonal.
	sq := g.Input("sq", tensor.Float64, 3, 3)
	m := g.Axis("m", 0)
	diag := g.Loop(m, func() *graph.Node { return sq.At(m, graph.All).At(m) })
	require.NoError(t, g.Err())
	assert.Equal(t, []float64{0, 4, 8}, run(t, map[*graph.Node]*tensor.Dense{sq: seq(3, 3)}, diag).Float64s())
}

func TestFormatAndDOT(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	i := g.Axis("i", 0)
	y := g.Loop(i, func() *graph.Node { return x.At(i, graph.Span(0, 4, 2)) })
	require.NoError(t, g.Err())
	text := graph.Format(y)
	for _, want := range []string{`input("x") : f64[3 4]`, "loop(i=3)", "param(0 i@0) : f64[4]{i}", "At([0:4:2])", "yield", "f64[i=3 2]"} {
		assert.Contains(t, text, want)
	}
	dot := graph.DOT(y)
	assert.True(t, strings.HasPrefix(dot, "digraph loom {"))
	assert.Contains(t, dot, "subgraph cluster_")
}
