package optimize_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/optimize"
	"github.com/loomtensor/loom/vmap"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares the program computing outs, before and after the passes,
// with testdata/<name>.{before,after}.txt (go test -update rewrites them).
func golden(t *testing.T, name string, outs ...*graph.Node) {
	t.Helper()
	before := graph.Format(outs...)
	opt, err := optimize.Run(outs, optimize.Options{Verify: true})
	require.NoError(t, err)
	after := graph.Format(opt...)
	for suffix, text := range map[string]string{"before": before, "after": after} {
		path := filepath.Join("..", "testdata", name+"."+suffix+".txt")
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./optimize -update to create it")
		assert.Equal(t, string(want), text, path)
	}
}

// Reviewed by eye: D[k,n] becomes two GEMMs with the mean's scale folded
// into the second; attention's softmax loop is one fused kernel (the scores
// GEMM, its scale as alpha, and the softmax of each block of rows run in the
// GEMM's output pass), its matmuls batched GEMMs reading transposed operands
// in place, and the final sequence loop a layout change (transposes and
// reshapes), not a gather.
func TestGoldenOptimized(t *testing.T) {
	g := graph.New()
	A3 := g.Input("A3", tensor.Float32, 64, 128, 128)
	B := g.Input("B", tensor.Float32, 128, 64)
	C := g.Input("C", tensor.Float32, 64, 128)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A3.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	golden(t, "mean_of_products", D)

	g = graph.New()
	x := g.Input("x", tensor.Float32, 8, 512, 512)
	wq := g.Input("wq", tensor.Float32, 8, 512, 64)
	wk := g.Input("wk", tensor.Float32, 8, 512, 64)
	wv := g.Input("wv", tensor.Float32, 8, 512, 64)
	wo := g.Input("wo", tensor.Float32, 8, 64, 64)
	golden(t, "attention_batch8", mha.Batched(x, wq, wk, wv, wo))
}
