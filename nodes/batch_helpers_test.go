package nodes_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// checkBatch tests one op's batching rule directly: vals are the operands
// with the loop axis on dim bdims[k] (-1: shared by every index). It builds
// the op on per-example inputs to get it, calls its Batch rule on batched
// inputs, evaluates the result with the reference rules, and compares the
// slice at each index with the op evaluated on that index's operands.
func checkBatch(t *testing.T, build func(x ...*graph.Node) *graph.Node, vals []*tensor.Dense, bdims []int) {
	t.Helper()
	n := -1
	for k, d := range bdims {
		if d >= 0 {
			n = vals[k].Shape()[d]
		}
	}
	require.Positive(t, n, "no batched operand")
	example := func(i int) []*tensor.Dense {
		ex := make([]*tensor.Dense, len(vals))
		for k, v := range vals {
			ex[k] = v
			if bdims[k] >= 0 {
				ex[k] = dense.Take(v, bdims[k], i)
			}
		}
		return ex
	}
	// The op, from a per-example build.
	g0 := graph.New()
	xs0 := make([]*graph.Node, len(vals))
	for k, v := range example(0) {
		xs0[k] = g0.Input(fmt.Sprint("x", k), v.Dtype(), dense.Shape(v)...)
	}
	y0 := build(xs0...)
	require.NoError(t, g0.Err())
	op := y0.Op()

	g := graph.New()
	feeds := map[*graph.Node]*tensor.Dense{}
	xs := make([]*graph.Node, len(vals))
	for k, v := range vals {
		xs[k] = g.Input(fmt.Sprint("x", k), v.Dtype(), dense.Shape(v)...)
		feeds[xs[k]] = v
	}
	out, obd, err := op.Batch(xs, bdims)
	require.NoError(t, err, "%s batch rule", op.Name())
	require.NoError(t, g.Err())
	require.GreaterOrEqual(t, obd, 0)
	got := evalRef(t, feeds, out)[0]
	require.Equal(t, n, got.Shape()[obd], "batch dim %d of %v", obd, got.Shape())
	for i := 0; i < n; i++ {
		exf := map[*graph.Node]*tensor.Dense{}
		for k, v := range example(i) {
			exf[xs0[k]] = v
		}
		want := evalRef(t, exf, y0)[0]
		batchClose(t, fmt.Sprintf("%s bdims %v index %d", op.Name(), bdims, i), dense.Take(got, obd, i), want)
	}
}

func batchClose(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	require.True(t, slices.Equal(dense.Shape(got), dense.Shape(want)), "%s: shape %v, want %v", what, got.Shape(), want.Shape())
	require.Equal(t, want.Dtype(), got.Dtype(), what)
	g, w := dense.F64(got), dense.F64(want)
	tol := 1e-12
	if got.Dtype() == tensor.Float32 {
		tol = 1e-5
	}
	for k := range g {
		if math.IsNaN(g[k]) && math.IsNaN(w[k]) {
			continue
		}
		require.LessOrEqual(t, math.Abs(g[k]-w[k]), tol*math.Max(1, math.Abs(w[k])), "%s: element %d = %v, want %v", what, k, g[k], w[k])
	}
}
