package nn_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
)

// here is the caller's file:line, to check that errors point at it.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), line)
}

// Misusing nn is a build error at the user's line — never a panic — and
// Compile refuses the graph.
func TestMisuse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	f32 := tensor.Float32
	cases := []struct {
		name string
		do   func(g *graph.Graph, p *nn.Params) (*graph.Node, string)
		subs []string
	}{
		{"Linear input size", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			l := nn.NewLinear(p, "fc", 5, 3, r)
			return l.Apply(g.Input("x", f32, 4)), here()
		}, []string{"MatMul", "[4]", "[5 3]"}},
		{"Linear on a matrix", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			l := nn.NewLinear(p, "fc", 5, 3, r)
			return l.Apply(g.Input("x", f32, 2, 5)), here()
		}, []string{"Add", "[2 3]", "[3]"}},
		{"heads do not divide", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			m, site := nn.NewMultiHeadAttention(p, "attn", 6, 4, false, r), here()
			return m.Apply(g.Input("x", f32, 3, 6)), site
		}, []string{"nn.NewMultiHeadAttention", "model dim 6 is not a multiple of 4 heads"}},
		{"attention on a vector", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			m := nn.NewMultiHeadAttention(p, "attn", 4, 2, false, r)
			return m.Apply(g.Input("x", f32, 4)), here()
		}, []string{"T"}},
		{"block on the wrong width", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			b := nn.NewTransformerBlock(p, "b", nn.BlockConfig{Dim: 4, Heads: 2, Hidden: 8}, r)
			return b.Apply(g.Input("x", f32, 3, 5)), here()
		}, []string{"[5]", "[4]"}},
		{"float label", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			return nn.CrossEntropy(g.Input("logits", f32, 3), g.Input("label", f32)), here()
		}, []string{"At", "int64 scalar"}},
		{"float token id", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			e := nn.NewEmbedding(p, "tok", 5, 3, r)
			return e.Apply(g.Input("id", f32)), here()
		}, []string{"At", "int64 scalar"}},
		{"MSE shapes", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			return nn.MSE(g.Input("a", f32, 3), g.Input("b", f32, 4)), here()
		}, []string{"Sub", "[3]", "[4]"}},
		{"nil rand", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			l, site := nn.NewLinear(p, "fc", 5, 3, nil), here()
			return l.Apply(g.Input("x", f32, 5)), site
		}, []string{"nn.NewLinear", "nil *rand.Rand"}},
		{"zero size", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			l, site := nn.NewLayerNorm(p, "ln", 0), here()
			return l.Apply(g.Input("x", f32, 5)), site
		}, []string{"nn.NewLayerNorm", "sizes must be positive"}},
		{"nil input", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			b := nn.NewTransformerBlock(p, "b", nn.BlockConfig{Dim: 4, Heads: 2, Hidden: 8}, r)
			return b.Apply(nil), here()
		}, []string{"nil"}},
		{"duplicate parameter", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			nn.NewLinear(p, "fc", 5, 3, r)
			l, site := nn.NewLinear(p, "fc", 5, 3, r), here()
			return l.Apply(g.Input("x", f32, 5)), site
		}, []string{"nn.Params.Add", `parameter "fc.w" added twice`}},
		{"parameter named like an input", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			x := g.Input("fc.w", f32, 5)
			l, site := nn.NewLinear(p, "fc", 5, 3, r), here()
			return l.Apply(x), site
		}, []string{"Input", `"fc.w" declared twice`}},
		{"bad name", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			return p.Add("../w", nil), here()
		}, []string{"nn.Params.Add", "'/'"}},
		{"empty name part", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			l, site := nn.NewLinear(p, "a..b", 5, 3, r), here()
			return l.Apply(g.Input("x", f32, 5)), site
		}, []string{"empty part between dots"}},
		{"wrong init dtype", func(g *graph.Graph, p *nn.Params) (*graph.Node, string) {
			t := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
			return p.Add("w", t), here()
		}, []string{"nn.Params.Add", "float64", "holds float32"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			p := nn.NewParams(g, f32)
			var y *graph.Node
			var site string
			require.NotPanics(t, func() { y, site = c.do(g, p) })
			errAt(t, g, site, c.subs...)
			t.Log(g.Err())
			assert.Error(t, y.Err(), "the result is poisoned")
			_, err := exec.Compile([]*graph.Node{y}, exec.Reference())
			assert.Error(t, err)
		})
	}
}

// A set of an unsupported dtype is an error at NewParams, and modules built
// on it do not panic.
func TestParamsDType(t *testing.T) {
	g := graph.New()
	var p *nn.Params
	var site string
	require.NotPanics(t, func() {
		p, site = nn.NewParams(g, tensor.Int64), here()
		b := nn.NewTransformerBlock(p, "b", nn.BlockConfig{Dim: 4, Heads: 2, Hidden: 8}, rand.New(rand.NewPCG(1, 2)))
		b.Apply(g.Input("x", tensor.Int64, 3, 4))
	})
	errAt(t, g, site, "nn.NewParams", "float32 or float64")
	assert.Empty(t, p.Names())
}
