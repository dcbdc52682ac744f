package vmap_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares text with testdata/name (go test -update rewrites it).
func golden(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./vmap -update to create it")
	assert.Equal(t, string(want), text)
}

// The traced form of the essay's examples, reviewed by eye: bodies hold one
// example's code, params say which outside value is mapped on which dim.
func TestGoldenTraces(t *testing.T) {
	g := graph.New()
	A := g.Input("A", tensor.Float64, 100, 5, 5)
	x := g.Input("x", tensor.Float64, 100, 5)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All))
	})
	require.NoError(t, g.Err())
	golden(t, "trace_batched_solve.txt", graph.Format(y))

	g = graph.New()
	A3 := g.Input("A3", tensor.Float32, 64, 128, 128)
	B := g.Input("B", tensor.Float32, 128, 64)
	C := g.Input("C", tensor.Float32, 64, 128)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A3.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	require.NoError(t, g.Err())
	golden(t, "trace_mean_of_products.txt", graph.Format(D))
	golden(t, "trace_mean_of_products.dot", graph.DOT(D))
}
