package optimize_test

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/optimize"
	"github.com/loomtensor/loom/vmap"
)

// oneGEMM checks that the optimized program computing out matches the
// reference, runs as exactly one GEMM, and holds no value of big elements
// (the per-example products that a sum over the batch must never build).
func oneGEMM(t *testing.T, out *graph.Node, big int, feeds map[string]*tensor.Dense) {
	t.Helper()
	check(t, out, feeds)
	outs, err := optimize.Run([]*graph.Node{out}, optimize.Options{Verify: true})
	require.NoError(t, err)
	gemms := 0
	for _, x := range graph.Needed(outs) {
		assert.Less(t, x.Type().Size(), big, "materialized %s: %s", x, graph.Format(outs...))
		switch x.Op().(type) {
		case *nodes.BatchMatMulOp, *nodes.MatMulOp:
			gemms++
		case *nodes.Reduce:
			t.Errorf("a reduction is left: %s", graph.Format(outs...))
		}
	}
	assert.Equal(t, 1, gemms, graph.Format(outs...))
}

func sumOver(x *graph.Node, axes ...int) *graph.Node {
	return graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: axes}, x)
}

// A shared weight's gradient in a loop sums per-example outer products
// x_b ⊗ g_b: that is xᵀ·G, one GEMM contracting over the batch.
func TestSumOfOuterProductsIsOneGEMM(t *testing.T) {
	const B, d, h = 16, 5, 7
	r := rand.New(rand.NewSource(3))
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		g := graph.New()
		x := g.Input("x", dt, B, d)
		gr := g.Input("g", dt, B, h)
		b := g.Axis("b", 0)
		all := graph.All
		per := vmap.For(b).Do(func() *graph.Node { return nodes.Outer(x.At(b, all), gr.At(b, all)) })
		feeds := map[string]*tensor.Dense{"x": randn(r, dt, B, d), "g": randn(r, dt, B, h)}
		oneGEMM(t, sumOver(per, 0), B*d*h, feeds)

		// The same written as a mean, and as a product of broadcasts.
		mean := graph.Apply(&nodes.Reduce{Kind: nodes.RedMean, Axes: []int{0}}, per)
		oneGEMM(t, mean, B*d*h, feeds)
		bx := graph.Apply(&nodes.BroadcastOp{Shape: []int{B, d, h}, Dims: []int{0, 1}}, x)
		bg := graph.Apply(&nodes.BroadcastOp{Shape: []int{B, d, h}, Dims: []int{0, 2}}, gr)
		oneGEMM(t, sumOver(nodes.Mul(bx, bg), 0), B*d*h, feeds)
	}
}

// Per-example matrix products summed over the batch: Σ_b X_bᵀ·G_b is one
// GEMM contracting over batch and sequence together; the same over two
// nested loop axes; and Σ_b W·x_b (a shared matrix times a mapped vector).
func TestSumOfBatchedMatMulsIsOneGEMM(t *testing.T) {
	const B, C, s, d, h = 8, 3, 3, 5, 7
	r := rand.New(rand.NewSource(4))
	g := graph.New()
	xs := g.Input("xs", tensor.Float32, B, s, d)
	gs := g.Input("gs", tensor.Float32, B, s, h)
	x4 := g.Input("x4", tensor.Float32, B, C, s, d)
	g4 := g.Input("g4", tensor.Float32, B, C, s, h)
	w := g.Input("w", tensor.Float32, h, d)
	v := g.Input("v", tensor.Float32, B, d)
	feeds := map[string]*tensor.Dense{
		"xs": randn(r, tensor.Float32, B, s, d), "gs": randn(r, tensor.Float32, B, s, h),
		"x4": randn(r, tensor.Float32, B, C, s, d), "g4": randn(r, tensor.Float32, B, C, s, h),
		"w": randn(r, tensor.Float32, h, d), "v": randn(r, tensor.Float32, B, d),
	}
	all := graph.All
	b := g.Axis("b", 0)
	per := vmap.For(b).Do(func() *graph.Node { return nodes.MatMul(nodes.T(xs.At(b, all, all)), gs.At(b, all, all)) })
	oneGEMM(t, sumOver(per, 0), B*d*h, feeds)

	i, j := g.Axis("i", 0), g.Axis("j", 0)
	nested := vmap.For(i, j).Do(func() *graph.Node {
		return nodes.MatMul(nodes.T(x4.At(i, j, all, all)), g4.At(i, j, all, all))
	})
	oneGEMM(t, sumOver(nested, 0, 1), B*C*d*h, feeds)

	c := g.Axis("c", 0)
	wx := vmap.For(c).Do(func() *graph.Node { return nodes.MatMul(w, v.At(c, all)) })
	check(t, sumOver(wx, 0), feeds)
}

// A sum over a matmul's own free dim is left alone: the product is already
// one GEMM and re-planning it would gain nothing.
func TestSumOverFreeDimKeepsGEMM(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float32, 4, 6, 5)
	bb := g.Input("b", tensor.Float32, 4, 5, 3)
	y := sumOver(nodes.BatchMatMul(a, bb, false, false), 2)
	outs, err := optimize.Run([]*graph.Node{y}, optimize.Options{Verify: true})
	require.NoError(t, err)
	_, isReduce := outs[0].Op().(*nodes.Reduce)
	assert.True(t, isReduce, graph.Format(outs...))
	r := rand.New(rand.NewSource(5))
	check(t, y, map[string]*tensor.Dense{"a": randn(r, tensor.Float32, 4, 6, 5), "b": randn(r, tensor.Float32, 4, 5, 3)})
}

// End to end: the gradient of a shared weight used in a loop, as autodiff
// builds it (a loop over per-example outer products, summed), optimizes to
// one GEMM over the batch, never a [B, d, h] value.
func TestSharedWeightGradientIsOneGEMM(t *testing.T) {
	const B, d, h = 32, 6, 5
	g := graph.New()
	x := g.Input("x", tensor.Float64, B, d)
	w := g.Input("w", tensor.Float64, d, h)
	b := g.Axis("b", 0)
	per := vmap.For(b).Do(func() *graph.Node { return nodes.Tanh(nodes.MatMul(x.At(b, graph.All), w)) })
	gw := autodiff.Grad(nodes.Sum(per), w)[0]
	require.NoError(t, g.Err())
	r := rand.New(rand.NewSource(6))
	check(t, gw, map[string]*tensor.Dense{"x": randn(r, tensor.Float64, B, d), "w": randn(r, tensor.Float64, d, h)})
	outs, err := optimize.Run([]*graph.Node{gw}, optimize.Options{Verify: true})
	require.NoError(t, err)
	gemms := 0
	for _, n := range graph.Needed(outs) {
		assert.Less(t, n.Type().Size(), B*d*h, "materialized %s: %s", n, graph.Format(outs...))
		switch n.Op().(type) {
		case *nodes.BatchMatMulOp:
			gemms++ // the weight's gradient (the forward product is fused)
		case *nodes.TransposeOp:
			t.Errorf("xᵀ·G comes out as [h, d] and is transposed: %s", graph.Format(outs...))
		case *nodes.Binary:
			t.Errorf("the seed's multiply by ones is left: %s", graph.Format(outs...))
		}
	}
	assert.Equal(t, 1, gemms, graph.Format(outs...))
}

// Factors left with the same dims and nothing to sum multiply elementwise:
// no GEMM of 1×1 matrices.
func TestElementwisePairIsMul(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 4, 5)
	y := g.Input("y", tensor.Float32, 4, 5, 3)
	bx := graph.Apply(&nodes.BroadcastOp{Shape: []int{4, 5, 3}, Dims: []int{0, 1}}, x)
	s := sumOver(nodes.Mul(bx, y), 2)
	r := rand.New(rand.NewSource(7))
	check(t, s, map[string]*tensor.Dense{"x": randn(r, tensor.Float32, 4, 5), "y": randn(r, tensor.Float32, 4, 5, 3)})
	outs, err := optimize.Run([]*graph.Node{s}, optimize.Options{Verify: true})
	require.NoError(t, err)
	for _, n := range graph.Needed(outs) {
		_, isBMM := n.Op().(*nodes.BatchMatMulOp)
		assert.False(t, isBMM, graph.Format(outs...))
	}
}
