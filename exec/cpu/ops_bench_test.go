package cpu

import (
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// benchKernel times n's kernel on args and reports the bytes it reads per
// second.
func benchKernel(b *testing.B, n *graph.Node, args ...*tensor.Dense) {
	if n.Err() != nil {
		b.Fatal(n.Err())
	}
	k := kernelFor(n)
	bytes := 0
	for _, a := range args {
		bytes += int(a.MemSize())
	}
	b.ResetTimer()
	for range b.N {
		if _, ok, err := k(n, args, nil); !ok || err != nil {
			b.Fatal("kernel declined or failed: ", err)
		}
	}
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// Reductions of a 4096×4096 float32 matrix: over rows (a sum over the batch),
// over columns (per-row), everything, and a row log-sum-exp.
func BenchmarkReduce(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewSource(1))
	x := randT(r, tensor.Float32, []int{n, n})
	for _, c := range []struct {
		name string
		kind nodes.ReduceKind
		axes []int
	}{
		{"sum-axis0", nodes.RedSum, []int{0}},
		{"sum-axis1", nodes.RedSum, []int{1}},
		{"sum-all", nodes.RedSum, nil},
		{"max-axis1", nodes.RedMax, []int{1}},
		{"logsumexp-axis1", nodes.RedLogSumExp, []int{1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := graph.New()
			benchKernel(b, graph.Apply(&nodes.Reduce{Kind: c.kind, Axes: c.axes}, g.Input("x", tensor.Float32, n, n)), x)
		})
	}
}

// An embedding lookup (4096 rows of a 50000×256 float32 table) and its
// gradient (the rows added back into a zero table).
func BenchmarkTakeScatter(b *testing.B) {
	const V, D, B = 50000, 256, 4096
	r := rand.New(rand.NewSource(2))
	tab, ids, vals := randT(r, tensor.Float32, []int{V, D}), randIndex(r, []int{B}, V, false), randT(r, tensor.Float32, []int{B, D})
	g := graph.New()
	tk := graph.Apply(&graph.TakeOp{Dim: 0}, g.Input("t", tensor.Float32, V, D), g.Input("i", tensor.Int64, B))
	sc := graph.Apply(&graph.Scatter{Dim: 0, Size: V}, g.Input("v", tensor.Float32, B, D), g.Input("j", tensor.Int64, B))
	b.Run("take", func(b *testing.B) { benchKernel(b, tk, tab, ids) })
	b.Run("scatter", func(b *testing.B) { benchKernel(b, sc, vals, ids) })
}

// Where over 2^24 float32 elements; a [4096] row broadcast to 4096×4096.
func BenchmarkWhereBroadcast(b *testing.B) {
	const n = 1 << 24
	r := rand.New(rand.NewSource(3))
	g := graph.New()
	wh := nodes.Where(g.Input("c", tensor.Bool, n), g.Input("a", tensor.Float32, n), g.Input("b", tensor.Float32, n))
	bc := graph.Apply(&nodes.BroadcastOp{Shape: []int{4096, 4096}, Dims: []int{1}}, g.Input("r", tensor.Float32, 4096))
	c, x, y := randT(r, tensor.Bool, []int{n}), randT(r, tensor.Float32, []int{n}), randT(r, tensor.Float32, []int{n})
	row := randT(r, tensor.Float32, []int{4096})
	b.Run("where", func(b *testing.B) { benchKernel(b, wh, c, x, y) })
	b.Run("broadcast-rows", func(b *testing.B) { benchKernel(b, bc, row) })
}
