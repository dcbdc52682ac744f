package nodes_test

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// ewLine is the caller's line, to check that errors point at it.
func ewLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// ewCheckOut checks that the shape and dtype rules match the value.
func ewCheckOut(t *testing.T, n *graph.Node, got *tensor.Dense) {
	t.Helper()
	assert.Equal(t, n.Shape(), dense.Shape(got), "shape rule vs actual shape")
	assert.Equal(t, n.DType(), got.Dtype(), "dtype rule vs actual dtype")
}

// ewNear checks got's elements against want within a relative tolerance,
// with NaN equal to NaN and infinities equal when their signs match.
func ewNear(t *testing.T, want []float64, got *tensor.Dense, tol float64) {
	t.Helper()
	g := dense.F64(got)
	require.Len(t, g, len(want))
	for k := range want {
		w, v := want[k], g[k]
		switch {
		case math.IsNaN(w):
			assert.True(t, math.IsNaN(v), "element %d: want NaN, got %v", k, v)
		case math.IsInf(w, 0):
			assert.Equal(t, w, v, "element %d", k)
		default:
			assert.InDelta(t, w, v, tol*math.Max(1, math.Abs(w)), "element %d", k)
		}
	}
}

// ewErrAt checks the graph's error: at this file and line, naming op, and
// containing each of subs.
func ewErrAt(t *testing.T, g *graph.Graph, file string, line int, op string, subs ...string) {
	t.Helper()
	require.Error(t, g.Err())
	msg := g.Err().Error()
	assert.Contains(t, msg, fmt.Sprintf("%s:%d: %s: ", file, line, op))
	for _, s := range subs {
		assert.Contains(t, msg, s)
	}
}

// ewData is a deterministic pattern of n values; positive ones if pos.
func ewData(n int, seed float64, pos bool) []float64 {
	v := make([]float64, n)
	for k := range v {
		v[k] = math.Sin(seed+1.7*float64(k)) * 3
		if pos {
			v[k] = math.Abs(v[k]) + 0.25
		}
	}
	return v
}

// ewRound is v rounded to dt, as the reference does once per op.
func ewRound(dt tensor.Dtype, v float64) float64 {
	if dt == tensor.Float32 {
		return float64(float32(v))
	}
	return v
}

func TestBinaryFloat(t *testing.T) {
	cases := []struct {
		name  string
		build func(a, b *graph.Node) *graph.Node
		f     func(a, b float64) float64
		pos   bool // the left operand must be positive
	}{
		{"Add", nodes.Add, func(a, b float64) float64 { return a + b }, false},
		{"Sub", nodes.Sub, func(a, b float64) float64 { return a - b }, false},
		{"Mul", nodes.Mul, func(a, b float64) float64 { return a * b }, false},
		{"Div", nodes.Div, func(a, b float64) float64 { return a / b }, false},
		{"Maximum", nodes.Maximum, math.Max, false},
		{"Minimum", nodes.Minimum, math.Min, false},
		{"Pow", nodes.Pow, math.Pow, true},
		{"Less", nodes.Less, func(a, b float64) float64 { return ewB(a < b) }, false},
		{"Greater", nodes.Greater, func(a, b float64) float64 { return ewB(a > b) }, false},
		{"Equal", nodes.Equal, func(a, b float64) float64 { return ewB(a == b) }, false},
	}
	shapes := [][2][]int{{{2, 3}, {2, 3}}, {{}, {2, 3}}, {{4}, {}}, {{}, {}}, {{0, 3}, {0, 3}}, {{2, 1, 2}, {}}}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("%s/%v/%v_%v", c.name, graph.DTypeName(dt), sh[0], sh[1]), func(t *testing.T) {
					g := graph.New()
					av := ewData(dense.Size(sh[0]), 0.3, c.pos)
					bv := ewData(dense.Size(sh[1]), 1.1, false)
					if len(bv) > 1 {
						bv[1] = av[min(1, len(av)-1)] // an equal pair for the comparisons
					}
					at, bt := dense.FromF64(dt, sh[0], av), dense.FromF64(dt, sh[1], bv)
					a := g.Input("a", dt, sh[0]...)
					b := g.Const(bt)
					y := c.build(a, b)
					got := evalRef(t, map[*graph.Node]*tensor.Dense{a: at}, y)[0]
					ewCheckOut(t, y, got)
					want := make([]float64, dense.Size(y.Shape()))
					ar, br := dense.F64(at), dense.F64(bt)
					for k := range want {
						want[k] = ewRound(dt, c.f(ar[min(k, len(ar)-1)], br[min(k, len(br)-1)]))
					}
					ewNear(t, want, got, 0)
				})
			}
		}
	}
}

func ewB(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestBinaryHandValues(t *testing.T) {
	g := graph.New()
	x := g.Const(f64s([]int{3}, 1, 2, 3))
	y := g.Const(f64s([]int{3}, 10, 20, 30))
	two := g.Scalar(2, tensor.Float64)
	outs := []*graph.Node{
		nodes.Add(x, y), nodes.Sub(x, y), nodes.Mul(x, y), nodes.Div(y, x),
		nodes.Pow(two, x), nodes.Pow(x, two), nodes.Maximum(x, two), nodes.Minimum(two, x),
		nodes.Less(x, two), nodes.Greater(x, two), nodes.Equal(two, x),
	}
	want := [][]float64{
		{11, 22, 33}, {-9, -18, -27}, {10, 40, 90}, {10, 10, 10},
		{2, 4, 8}, {1, 4, 9}, {2, 2, 3}, {1, 2, 2},
		{1, 0, 0}, {0, 0, 1}, {0, 1, 0},
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
		ewNear(t, want[k], got[k], 0)
	}
	for _, k := range []int{8, 9, 10} {
		assert.Equal(t, tensor.Bool, got[k].Dtype())
	}
	// NaN propagates through Maximum/Minimum and compares false.
	nan := g.Scalar(math.NaN(), tensor.Float64)
	got = evalRef(t, nil, nodes.Maximum(x, nan), nodes.Minimum(nan, x), nodes.Equal(nan, nan), nodes.Less(nan, x))
	ewNear(t, []float64{math.NaN(), math.NaN(), math.NaN()}, got[0], 0)
	ewNear(t, []float64{math.NaN(), math.NaN(), math.NaN()}, got[1], 0)
	assert.Equal(t, []bool{false}, got[2].Bools())
	assert.Equal(t, []bool{false, false, false}, got[3].Bools())
}

func TestBinaryInt64Exact(t *testing.T) {
	const big = int64(1) << 53
	g := graph.New()
	x := g.Const(i64s([]int{3}, big+1, -7, 5))
	y := g.Const(i64s([]int{3}, big, 3, 5))
	one := g.Scalar(1, tensor.Int64)
	outs := []*graph.Node{
		nodes.Add(x, one), nodes.Sub(x, y), nodes.Mul(x, y), nodes.Maximum(x, y), nodes.Minimum(x, y),
		nodes.Greater(x, y), nodes.Less(x, y), nodes.Equal(x, y), nodes.Add(x, y),
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []int64{big + 2, -6, 6}, got[0].Int64s())
	assert.Equal(t, []int64{1, -10, 0}, got[1].Int64s())
	x0 := big + 1 // int64 products wrap, as Go's do
	assert.Equal(t, []int64{x0 * big, -21, 25}, got[2].Int64s())
	assert.Equal(t, []int64{big + 1, 3, 5}, got[3].Int64s())
	assert.Equal(t, []int64{big, -7, 5}, got[4].Int64s())
	assert.Equal(t, []bool{true, false, false}, got[5].Bools())
	assert.Equal(t, []bool{false, true, false}, got[6].Bools())
	assert.Equal(t, []bool{false, false, true}, got[7].Bools())
	assert.Equal(t, []int64{2*big + 1, -4, 10}, got[8].Int64s())
}

func TestEqualBool(t *testing.T) {
	g := graph.New()
	p := g.Const(tensor.New(tensor.WithShape(4), tensor.WithBacking([]bool{true, true, false, false})))
	q := g.Const(tensor.New(tensor.WithShape(4), tensor.WithBacking([]bool{true, false, true, false})))
	tr := g.Scalar(1, tensor.Bool)
	e, s := nodes.Equal(p, q), nodes.Equal(tr, q)
	got := evalRef(t, nil, e, s)
	ewCheckOut(t, e, got[0])
	ewCheckOut(t, s, got[1])
	assert.Equal(t, []bool{true, false, false, true}, got[0].Bools())
	assert.Equal(t, []bool{true, false, true, false}, got[1].Bools())
}

func TestWhere(t *testing.T) {
	g := graph.New()
	cond := g.Const(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]bool{true, false, false, true})))
	yes := g.Scalar(1, tensor.Bool)
	a := g.Const(f64s([]int{2, 2}, 1, 2, 3, 4))
	b := g.Const(f64s([]int{2, 2}, -1, -2, -3, -4))
	zero := g.Scalar(0, tensor.Float64)
	ai := g.Const(i64s([]int{2, 2}, 1<<62+1, 2, 3, 4))
	bi := g.Scalar(-5, tensor.Int64)
	af := g.Const(f32s([]int{2, 2}, 0.1, 0.2, 0.3, 0.4))
	bf := g.Const(f32s([]int{2, 2}, 5, 6, 7, 8))
	outs := []*graph.Node{
		nodes.Where(cond, a, b), nodes.Where(cond, a, zero), nodes.Where(cond, zero, b),
		nodes.Where(yes, a, b), nodes.Where(yes, zero, b), nodes.Where(cond, ai, bi),
		nodes.Where(cond, af, bf), nodes.Where(yes, zero, zero), nodes.Where(nodes.Less(a, g.Scalar(2.5, tensor.Float64)), a, b),
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []float64{1, -2, -3, 4}, got[0].Float64s())
	assert.Equal(t, []float64{1, 0, 0, 4}, got[1].Float64s())
	assert.Equal(t, []float64{0, -2, -3, 0}, got[2].Float64s())
	assert.Equal(t, []float64{1, 2, 3, 4}, got[3].Float64s())
	assert.Equal(t, []float64{0, 0, 0, 0}, got[4].Float64s())
	assert.Equal(t, []int64{1<<62 + 1, -5, -5, 4}, got[5].Int64s())
	assert.Equal(t, []float32{0.1, 6, 7, 0.4}, got[6].Float32s())
	assert.Empty(t, outs[7].Shape())
	assert.Equal(t, []float64{0}, got[7].Float64s())
	assert.Equal(t, []float64{1, 2, -3, -4}, got[8].Float64s())
}

func TestElementwiseEmptyAndFresh(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 0, 3)
	y := nodes.Add(x, g.Scalar(1, tensor.Float64))
	got := evalRef(t, map[*graph.Node]*tensor.Dense{x: dense.Zeros(tensor.Float64, []int{0, 3})}, y)[0]
	ewCheckOut(t, y, got)
	assert.Equal(t, []int{0, 3}, dense.Shape(got))

	// Results are new tensors; inputs are left alone.
	in := f64s([]int{2}, 1, 2)
	v := g.Input("v", tensor.Float64, 2)
	s := g.Scalar(0, tensor.Float64)
	outs := []*graph.Node{nodes.Add(v, s), nodes.Maximum(v, v), nodes.Where(g.Scalar(1, tensor.Bool), v, v)}
	res := evalRef(t, map[*graph.Node]*tensor.Dense{v: in}, outs...)
	for _, r := range res {
		assert.NotSame(t, in, r)
		r.Float64s()[0] = 99
	}
	assert.Equal(t, []float64{1, 2}, in.Float64s())
}

func TestElementwiseErrors(t *testing.T) {
	const file = "elementwise_test.go"
	t.Run("shapes", func(t *testing.T) {
		g := graph.New()
		x, y := g.Input("x", tensor.Float64, 3, 4), g.Input("y", tensor.Float64, 4, 3)
		z, line := nodes.Add(x, y), ewLine()
		ewErrAt(t, g, file, line, "Add", "shapes differ: [3 4] vs [4 3]", "no implicit broadcasting")
		first := g.Err()
		// Poisoned values build further without panicking or replacing the error.
		w := nodes.Where(nodes.Less(z, x), nodes.Exp(z), nodes.Sum(z))
		_ = nodes.Softmax(nodes.Mul(w, g.Input("q", tensor.Float32, 9)))
		_ = nodes.Sub(x, g.Input("r", tensor.Float64, 5))
		assert.Equal(t, first, g.Err())
		assert.NotPanics(t, func() { _, _, _ = w.Shape(), w.DType(), w.Rank() })
	})
	t.Run("size-1 is not stretched", func(t *testing.T) {
		g := graph.New()
		x, y := g.Input("x", tensor.Float32, 1), g.Input("y", tensor.Float32, 3)
		_, line := nodes.Mul(x, y), ewLine()
		ewErrAt(t, g, file, line, "Mul", "[1] vs [3]")
	})
	t.Run("dtypes", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Float32, 3)
		_, line := nodes.Sub(x, g.Scalar(1, tensor.Float64)), ewLine()
		ewErrAt(t, g, file, line, "Sub", "dtypes differ: f32[3] vs f64[]")
	})
	for _, c := range []struct {
		op    string
		build func(a, b *graph.Node) *graph.Node
	}{{"Div", nodes.Div}, {"Pow", nodes.Pow}} {
		t.Run("int64 "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Int64, 3)
			_, line := c.build(x, x), ewLine()
			ewErrAt(t, g, file, line, c.op, "i64[3]", "nodes.Cast")
		})
	}
	for _, c := range []struct {
		op    string
		build func(a, b *graph.Node) *graph.Node
	}{{"Add", nodes.Add}, {"Less", nodes.Less}, {"Maximum", nodes.Maximum}} {
		t.Run("bool "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Bool, 2)
			_, line := c.build(x, x), ewLine()
			ewErrAt(t, g, file, line, c.op, "bool[2]")
		})
	}
	t.Run("Where cond", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 2)
		_, line := nodes.Where(x, x, x), ewLine()
		ewErrAt(t, g, file, line, "Where", "cond must be bool, got f64[2]")
	})
	t.Run("Where dtypes", func(t *testing.T) {
		g := graph.New()
		c, x := g.Input("c", tensor.Bool, 2), g.Input("x", tensor.Float64, 2)
		_, line := nodes.Where(c, x, g.Input("y", tensor.Int64, 2)), ewLine()
		ewErrAt(t, g, file, line, "Where", "dtypes differ: f64[2] vs i64[2]")
	})
	t.Run("Where shapes", func(t *testing.T) {
		g := graph.New()
		c, x := g.Input("c", tensor.Bool, 2), g.Input("x", tensor.Float64, 3)
		_, line := nodes.Where(c, x, g.Scalar(0, tensor.Float64)), ewLine()
		ewErrAt(t, g, file, line, "Where", "shapes differ: [2] vs [3]")
	})
	t.Run("nil operand", func(t *testing.T) {
		g := graph.New()
		assert.NotPanics(t, func() { nodes.Add(g.Input("x", tensor.Float64), nil) })
		require.Error(t, g.Err())
		assert.NotPanics(t, func() { nodes.Add(nil, nil) })
	})
}

func TestBinaryEvalBadFeed(t *testing.T) {
	g := graph.New()
	x, y := g.Input("x", tensor.Float64, 2), g.Input("y", tensor.Float64, 2)
	z := nodes.Add(x, y)
	require.NoError(t, g.Err())
	_, err := tryEval(map[*graph.Node]*tensor.Dense{x: f64s([]int{2}, 1, 2), y: f64s([]int{3}, 1, 2, 3)}, z)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shapes differ")
	assert.True(t, slices.Equal([]int{2}, z.Shape()))
}
