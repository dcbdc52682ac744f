package optimize_test

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/optimize"
	"github.com/loomtensor/loom/vmap"
)

// optimized checks that the optimized CPU program computing outs matches
// the reference interpreter on random inputs, and returns the optimized
// program for inspection.
func optimized(t *testing.T, outs ...*graph.Node) []*graph.Node {
	t.Helper()
	r := rand.New(rand.NewSource(3))
	feeds := map[string]*tensor.Dense{}
	for _, n := range graph.Needed(outs) {
		if in, ok := n.Op().(*graph.Input); ok {
			feeds[in.Label] = randn(r, n.DType(), n.Shape()...)
		}
	}
	ref, err := exec.Compile(outs, exec.Reference())
	require.NoError(t, err)
	cpu, err := exec.Compile(outs, exec.Debug(""))
	require.NoError(t, err)
	want, err := ref.Run(feeds)
	require.NoError(t, err)
	got, err := cpu.Run(feeds)
	require.NoError(t, err)
	for k := range want {
		optest.Close(t, "optimized vs reference", got[k], want[k])
	}
	opt, err := optimize.Run(outs, optimize.Options{Verify: true})
	require.NoError(t, err)
	return opt
}

// ops lists the program's nodes whose op is an O.
func ops[O graph.Op](outs []*graph.Node) []*graph.Node {
	var r []*graph.Node
	for _, n := range graph.Needed(outs) {
		if _, ok := n.Op().(O); ok {
			r = append(r, n)
		}
	}
	return r
}

func transposes(outs []*graph.Node) []*graph.Node { return ops[*nodes.TransposeOp](outs) }

// A transpose of a broadcast is a broadcast of the transposed operand: here
// the two transposes of m cancel and the broadcast fuses into the Sub as a
// strided operand (the pattern of softmax's backward after batching).
func TestLayoutBroadcastOfTranspose(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4, 5)
	m := g.Input("m", tensor.Float64, 3, 4)
	b := graph.Apply(&nodes.BroadcastOp{Shape: []int{4, 3, 5}, Dims: []int{0, 1}}, nodes.Transpose(m, 1, 0))
	out := optimized(t, nodes.Sub(x, nodes.Transpose(b, 1, 0, 2)))
	assert.Empty(t, transposes(out), graph.Format(out...))
	assert.Empty(t, ops[*nodes.BroadcastOp](out), "the broadcast is read in place: %s", graph.Format(out...))
}

// A scale of a matmul operand is the product's alpha, and the transpose
// under it the operand's batch permutation: neither is computed.
func TestLayoutScaleAndTransposeIntoProducts(t *testing.T) {
	g := graph.New()
	y := g.Input("y", tensor.Float64, 2, 3, 4, 5)
	b := g.Input("b", tensor.Float64, 3, 2, 5, 6)
	c := g.Input("c", tensor.Float64, 3, 2, 6, 4)
	s := nodes.Scale(nodes.Transpose(y, 1, 0, 2, 3), 0.5)
	out := optimized(t, nodes.BatchMatMul(s, b, false, false), nodes.BatchMatMul(c, s, false, false))
	assert.Empty(t, transposes(out), graph.Format(out...))
	assert.Empty(t, ops[*nodes.Unary](out), "the scale is an alpha: %s", graph.Format(out...))
	for _, mm := range ops[*nodes.BatchMatMulOp](out) {
		assert.Equal(t, 0.5, mm.Op().(*nodes.BatchMatMulOp).Alpha)
	}
}

// A reshape that only inserts size-1 dims does not stop a product from
// reading a transposed operand in place.
func TestLayoutUnitReshapeIntoProduct(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 5, 4)
	y := g.Input("y", tensor.Float64, 2, 3, 5, 6)
	xt := nodes.Reshape(nodes.Transpose(x, 0, 2, 1), 2, 1, 4, 5)
	out := optimized(t, nodes.BatchMatMul(xt, y, false, false))
	assert.Empty(t, transposes(out), graph.Format(out...))
}

// Attention's output gradient: heads laid side by side per position, an
// elementwise op, then split back into heads. The permutations cancel
// through the elementwise ops, so nothing is transposed.
func TestLayoutThroughElementwise(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float64, 2, 12, 5) // head, batch·seq, dk
	w := g.Input("w", tensor.Float64, 2, 5, 5)
	p := nodes.Reshape(nodes.BatchMatMul(a, w, false, false), 2, 3, 4, 5) // head, batch, seq, dk
	cat := nodes.Reshape(nodes.Transpose(p, 1, 2, 0, 3), 3, 4, 10)        // batch, seq, head·dk
	e := nodes.Add(nodes.Scale(cat, 2), cat)
	back := nodes.Transpose(nodes.Reshape(nodes.Transpose(e, 1, 0, 2), 4, 3, 2, 5), 2, 1, 0, 3)
	proj := nodes.BatchMatMul(nodes.Reshape(back, 2, 12, 5), w, false, true)
	out := optimized(t, proj)
	assert.Empty(t, transposes(out), graph.Format(out...))

	// Used elsewhere too, the elementwise value is not computed twice.
	out = optimized(t, proj, nodes.Exp(e))
	assert.Len(t, append(ops[*nodes.FusedOp](out), ops[*nodes.FusedMatMulOp](out)...), 1, "2·e+e once: %s", graph.Format(out...))
	assert.Len(t, ops[*nodes.Unary](out), 1, "Exp once: %s", graph.Format(out...))
	assert.Len(t, transposes(out), 1, graph.Format(out...))
}

// A permuted product is a product of permuted operands: a batch
// permutation, a transposed result (operands swapped), and rows split into
// a batch dim and rows.
func TestLayoutProductWritesPermuted(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float64, 2, 3, 4, 5)
	b := g.Input("b", tensor.Float64, 2, 3, 5, 6)
	out := optimized(t, nodes.Exp(nodes.Transpose(nodes.BatchMatMul(a, b, false, false), 1, 0, 3, 2)))
	assert.Empty(t, transposes(out), graph.Format(out...))

	x := g.Input("x", tensor.Float64, 1, 6, 8)
	y := g.Input("y", tensor.Float64, 1, 8, 5)
	split := nodes.Reshape(nodes.BatchMatMul(x, y, false, false), 2, 3, 5)
	out = optimized(t, nodes.Transpose(split, 0, 2, 1))
	assert.Empty(t, transposes(out), graph.Format(out...))
}

// A reduction of a transposed value reduces in place; only the smaller
// result is permuted, when its dims come out of order.
func TestLayoutReduceInPlace(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4, 5)
	sum := graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{1}}, nodes.Transpose(x, 2, 0, 1))
	out := optimized(t, sum)
	ts := transposes(out)
	require.Len(t, ts, 1, graph.Format(out...))
	assert.Equal(t, 20, ts[0].Type().Size(), "the [5 4] result is permuted, not the input")

	mean := graph.Apply(&nodes.Reduce{Kind: nodes.RedMean, Axes: []int{0}}, nodes.Transpose(x, 1, 0, 2))
	out = optimized(t, mean)
	assert.Empty(t, transposes(out), graph.Format(out...))
}

// A transpose that nothing can absorb stays, and results are unchanged.
func TestLayoutKeepsNeededTranspose(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	e := nodes.Exp(x)
	out := optimized(t, nodes.Transpose(e, 1, 0), e)
	assert.Len(t, transposes(out), 1, graph.Format(out...))
	assert.Len(t, ops[*nodes.Unary](out), 1, "Exp is not recomputed: %s", graph.Format(out...))
}

// Multi-head attention's gradient through its three loops has no transpose
// left: every layout change is read in place by a GEMM or cancels.
func TestLayoutAttentionGradient(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 6, 8)
	wq := g.Input("wq", tensor.Float64, 2, 8, 4)
	wk := g.Input("wk", tensor.Float64, 2, 8, 4)
	wv := g.Input("wv", tensor.Float64, 2, 8, 4)
	wo := g.Input("wo", tensor.Float64, 2, 4, 4)
	y := mha.Batched(x, wq, wk, wv, wo)
	grads := autodiff.Grad(nodes.Sum(nodes.Mul(y, y)), wq, wk, wv, wo)
	require.NoError(t, g.Err())
	out := optimized(t, grads...)
	assert.Empty(t, transposes(out), graph.Format(out...))
	out = optimized(t, append(grads, y)...)
	assert.Len(t, transposes(out), 1, "only the forward's heads side by side: %s", graph.Format(out...))
}

// Reviewed by eye: the gradient of the essay's multi-head attention (batch
// 8, sequence 512, model dim 512, 8 heads) has no transpose and no copy: the
// softmax backward's row sums broadcast into the fused kernel, the scores
// gradient's scale and batch permutation are its GEMMs' alpha and strides,
// and x is read transposed in place.
func TestGoldenAttentionGradient(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 8, 512, 512)
	wq := g.Input("wq", tensor.Float32, 8, 512, 64)
	wk := g.Input("wk", tensor.Float32, 8, 512, 64)
	wv := g.Input("wv", tensor.Float32, 8, 512, 64)
	wo := g.Input("wo", tensor.Float32, 8, 64, 64)
	y := mha.Batched(x, wq, wk, wv, wo)
	grads := autodiff.Grad(nodes.Sum(nodes.Mul(y, y)), wq, wk, wv, wo)
	require.NoError(t, g.Err())
	golden(t, "attention_grad_batch8", grads...)
}

// A stack of products against one shared matrix (a weight used at every
// position of a loop) is one taller GEMM, and the gradient of a loop nested
// in a loop has no transpose left.
func TestLayoutStacksSharedMatrix(t *testing.T) {
	g := graph.New()
	xs := g.Input("xs", tensor.Float64, 4, 8, 16)
	w := g.Input("w", tensor.Float64, 16, 32)
	out := optimized(t, nodes.BatchMatMul(xs, nodes.Reshape(w, 1, 16, 32), false, false))
	mms := ops[*nodes.BatchMatMulOp](out)
	require.Len(t, mms, 1, graph.Format(out...))
	assert.Equal(t, []int{1, 32, 32}, mms[0].Shape(), "one 32×16 · 16×32 GEMM")

	b, s := g.Axis("b", 0), g.Axis("t", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		y := vmap.For(s).Do(func() *graph.Node { return nodes.Tanh(nodes.MatMul(xs.At(b, s, graph.All), w)) })
		return nodes.Sum(nodes.Mul(y, y))
	}))
	out = optimized(t, autodiff.Grad(loss, xs, w)...)
	assert.Empty(t, transposes(out), graph.Format(out...))
	for _, mm := range ops[*nodes.BatchMatMulOp](out) {
		assert.GreaterOrEqual(t, mm.Shape()[mm.Rank()-2], 16, "no thin stacks: %s", graph.Format(out...))
	}
}

// Reshapes that differ only in the names of their dims are one value: the
// fused kernel reading both reads one operand.
func TestLayoutMergesNamedReshapes(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 6, 4)
	named := graph.Apply(&nodes.ReshapeOp{Dims: []int{2, 3, 4}, Labels: []*graph.Axis{g.Axis("i", 2), nil, nil}}, x)
	plain := nodes.Reshape(x, 2, 3, 4)
	out := optimized(t, nodes.Mul(nodes.Exp(named), nodes.Exp(plain)))
	fused := ops[*nodes.FusedOp](out)
	require.Len(t, fused, 1, graph.Format(out...))
	assert.Len(t, fused[0].Inputs(), 1, "one operand: %s", graph.Format(out...))
}

// A reduction reads past a transpose others need too when its result comes
// out in order.
func TestLayoutReduceBypassesSharedTranspose(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4, 5)
	xt := nodes.Transpose(x, 1, 0, 2)
	sum := graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{0}}, xt)
	out := optimized(t, sum, nodes.Exp(xt))
	for _, n := range ops[*nodes.Reduce](out) {
		assert.False(t, isTransposeNode(n.Inputs()[0]), "the sum reads x: %s", graph.Format(out...))
	}
}

func isTransposeNode(x *graph.Node) bool {
	_, ok := x.Op().(*nodes.TransposeOp)
	return ok
}

// A product is not rewritten into many thin ones to spare a transpose: here
// a reader wants each of C's rows on its own (a row-wise dot), which C could
// be written for only as 64 matrix-vector products.
func TestLayoutKeepsGEMMsThick(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float64, 1, 64, 8)
	b := g.Input("b", tensor.Float64, 1, 8, 64)
	y := g.Input("y", tensor.Float64, 64, 64, 1)
	c := nodes.Reshape(nodes.BatchMatMul(a, b, false, false), 8, 8, 64)
	rows := nodes.Reshape(nodes.Transpose(c, 1, 0, 2), 64, 1, 64)
	out := optimized(t, nodes.BatchMatMul(rows, y, false, false))
	for _, mm := range ops[*nodes.BatchMatMulOp](out) {
		if s := mm.Shape(); s[len(s)-1] == 64 {
			assert.Equal(t, 64, s[len(s)-2], "C stays one 64×64 GEMM: %s", graph.Format(out...))
		}
	}
}

// A transpose whose readers are all in one fused kernel is not written: the
// kernel reads its operand with strides (permuting the minor dim or not),
// in float32 and float64, with a reduction tail too.
func TestTransposeReadInPlaceByFusedKernel(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, perm := range [][]int{{1, 0, 2}, {2, 0, 1}, {0, 2, 1}} {
			for _, tail := range []bool{false, true} {
				g := graph.New()
				x := g.Input("x", dt, 5, 6, 7)
				xt := nodes.Transpose(x, perm...)
				y := g.Input("y", dt, xt.Shape()...)
				e := nodes.Mul(nodes.Exp(xt), y)
				if tail {
					e = graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{2}}, nodes.Add(xt, y))
				}
				out := optimized(t, e)
				assert.Empty(t, transposes(out), "%v %v: %s", dt, perm, graph.Format(out...))
				assert.Len(t, ops[*nodes.FusedOp](out), 1, graph.Format(out...))
			}
		}
	}
}

// A GEMM's epilogue reads a transposed operand with strides too.
func TestTransposeReadInPlaceByEpilogue(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float32, 3, 40, 24)
	b := g.Input("b", tensor.Float32, 3, 24, 36)
	y := g.Input("y", tensor.Float32, 36, 3, 40)
	p := nodes.BatchMatMul(a, b, false, false)
	out := optimized(t, nodes.Tanh(nodes.Add(p, nodes.Transpose(y, 1, 2, 0))))
	assert.Empty(t, transposes(out), graph.Format(out...))
	assert.Len(t, ops[*nodes.FusedMatMulOp](out), 1, graph.Format(out...))
}

// A product is computed in the layout its readers want: one reader merges
// its batch dims in another order, the other reads it in place, so the
// product writes its batch dims swapped and neither needs a copy.
func TestLayoutProductForItsReaders(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float64, 2, 3, 4, 5)
	b := g.Input("b", tensor.Float64, 2, 3, 5, 6)
	w := g.Input("w", tensor.Float64, 3, 6, 7)
	z := g.Input("z", tensor.Float64, 2, 3, 4, 2)
	c := nodes.BatchMatMul(a, b, false, false)
	merged := nodes.Reshape(nodes.Transpose(c, 1, 0, 2, 3), 3, 8, 6)
	out := optimized(t, nodes.BatchMatMul(merged, w, false, false), nodes.BatchMatMul(c, z, true, false))
	assert.Empty(t, transposes(out), graph.Format(out...))
}
