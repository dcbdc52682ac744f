package nodes_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

func TestUnaryFloat(t *testing.T) {
	cases := []struct {
		name  string
		build func(x *graph.Node) *graph.Node
		f     func(x float64) float64
		pos   bool // needs positive inputs
	}{
		{"Neg", nodes.Neg, func(x float64) float64 { return -x }, false},
		{"Exp", nodes.Exp, math.Exp, false},
		{"Log", nodes.Log, math.Log, true},
		{"Sqrt", nodes.Sqrt, math.Sqrt, true},
		{"Tanh", nodes.Tanh, math.Tanh, false},
		{"Sigmoid", nodes.Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, false},
		{"Relu", nodes.Relu, func(x float64) float64 { return math.Max(x, 0) }, false},
		{"Abs", nodes.Abs, math.Abs, false},
		{"Scale", func(x *graph.Node) *graph.Node { return nodes.Scale(x, -2.5) }, func(x float64) float64 { return x * -2.5 }, false},
		{"Offset", func(x *graph.Node) *graph.Node { return nodes.Offset(x, 0.75) }, func(x float64) float64 { return x + 0.75 }, false},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, shape := range [][]int{{2, 3}, {}, {5}, {0, 2}} {
				t.Run(fmt.Sprintf("%s/%s/%v", c.name, graph.DTypeName(dt), shape), func(t *testing.T) {
					g := graph.New()
					xt := dense.FromF64(dt, shape, ewData(dense.Size(shape), 0.4, c.pos))
					x := g.Input("x", dt, shape...)
					y := c.build(x)
					got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xt}, y)[0]
					ewCheckOut(t, y, got)
					want := dense.F64(xt)
					for k, v := range want {
						want[k] = ewRound(dt, c.f(v))
					}
					tol := 1e-15
					if dt == tensor.Float32 {
						tol = 1e-7 // one float32 rounding apart at most
					}
					ewNear(t, want, got, tol)
				})
			}
		}
	}
}

func TestUnaryHandValues(t *testing.T) {
	g := graph.New()
	x := g.Const(f64s([]int{4}, -2, 0, 1, 4))
	outs := []*graph.Node{
		nodes.Neg(x), nodes.Relu(x), nodes.Abs(x), nodes.Sqrt(nodes.Abs(x)),
		nodes.Scale(x, 3), nodes.Offset(x, -1), nodes.Exp(g.Scalar(0, tensor.Float64)),
		nodes.Log(g.Scalar(math.E, tensor.Float64)), nodes.Sigmoid(g.Scalar(0, tensor.Float32)),
		nodes.Tanh(g.Scalar(0, tensor.Float64)), nodes.Log(g.Scalar(0, tensor.Float64)),
		nodes.Sqrt(g.Scalar(-1, tensor.Float64)),
	}
	want := [][]float64{
		{2, 0, -1, -4}, {0, 0, 1, 4}, {2, 0, 1, 4}, {math.Sqrt2, 0, 1, 2},
		{-6, 0, 3, 12}, {-3, -1, 0, 3}, {1},
		{1}, {0.5}, {0}, {math.Inf(-1)}, {math.NaN()},
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
		ewNear(t, want[k], got[k], 1e-15)
	}
}

func TestUnaryInt64(t *testing.T) {
	const big = int64(1) << 60
	g := graph.New()
	x := g.Const(i64s([]int{3}, big+1, -3, 0))
	outs := []*graph.Node{
		nodes.Neg(x), nodes.Relu(x), nodes.Abs(x), nodes.Scale(x, 2), nodes.Offset(x, -1), nodes.Scale(x, -1),
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []int64{-big - 1, 3, 0}, got[0].Int64s())
	assert.Equal(t, []int64{big + 1, 0, 0}, got[1].Int64s())
	assert.Equal(t, []int64{big + 1, 3, 0}, got[2].Int64s())
	assert.Equal(t, []int64{2*big + 2, -6, 0}, got[3].Int64s())
	assert.Equal(t, []int64{big, -4, -1}, got[4].Int64s())
	assert.Equal(t, []int64{-big - 1, 3, 0}, got[5].Int64s())
}

func TestSigmoidStable(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := graph.New()
		x := g.Const(dense.FromF64(dt, []int{6}, []float64{-1000, 1000, 0, -40, 40, -745}))
		y := nodes.Sigmoid(x)
		got := evalRef(t, nil, y)[0]
		ewCheckOut(t, y, got)
		v := dense.F64(got)
		for k, e := range v {
			assert.False(t, math.IsNaN(e) || math.IsInf(e, 0), "element %d is %v", k, e)
			assert.True(t, e >= 0 && e <= 1, "element %d is %v", k, e)
		}
		e40 := math.Exp(-40)
		ewNear(t, []float64{0, 1, 0.5, ewRound(dt, e40/(1+e40)), ewRound(dt, 1/(1+e40)), ewRound(dt, math.Exp(-745))}, got, 1e-15)
	}
}

func TestCast(t *testing.T) {
	g := graph.New()
	fl := g.Const(f64s([]int{7}, -1.7, 1.7, 2.5, -0.5, math.NaN(), 1e300, -1e300))
	bo := g.Const(tensor.New(tensor.WithShape(2), tensor.WithBacking([]bool{true, false})))
	in := g.Const(i64s([]int{3}, 1<<60+1, -3, 0))
	f3 := g.Const(f32s([]int{2}, 0.1, -2))
	z := g.Const(f64s([]int{4}, 0, math.Copysign(0, -1), 2, math.NaN()))
	outs := []*graph.Node{
		nodes.Cast(fl, tensor.Int64), nodes.Cast(z, tensor.Bool), nodes.Cast(bo, tensor.Float32),
		nodes.Cast(bo, tensor.Int64), nodes.Cast(in, tensor.Float64), nodes.Cast(in, tensor.Float32),
		nodes.Cast(in, tensor.Bool), nodes.Cast(f3, tensor.Float64), nodes.Cast(fl, tensor.Float32),
		nodes.Cast(g.Scalar(3, tensor.Int64), tensor.Float64), nodes.Cast(in, tensor.Int64),
	}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []int64{-1, 1, 2, 0, 0, math.MaxInt64, math.MinInt64}, got[0].Int64s())
	assert.Equal(t, []bool{false, false, true, true}, got[1].Bools())
	assert.Equal(t, []float32{1, 0}, got[2].Float32s())
	assert.Equal(t, []int64{1, 0}, got[3].Int64s())
	assert.Equal(t, []float64{1 << 60, -3, 0}, got[4].Float64s())
	assert.Equal(t, []float32{1 << 60, -3, 0}, got[5].Float32s())
	assert.Equal(t, []bool{true, true, false}, got[6].Bools())
	assert.Equal(t, []float64{float64(float32(0.1)), -2}, got[7].Float64s())
	assert.Equal(t, float32(-1.7), got[8].Float32s()[0])
	assert.True(t, math.IsInf(float64(got[8].Float32s()[5]), 1))
	assert.Equal(t, []float64{3}, got[9].Float64s())
	assert.Empty(t, outs[9].Shape())
	assert.Equal(t, []int64{1<<60 + 1, -3, 0}, got[10].Int64s())
}

func TestUnaryFreshResults(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2)
	in := f64s([]int{2}, 1, 2)
	outs := []*graph.Node{nodes.Scale(x, 1), nodes.Offset(x, 0), nodes.Cast(x, tensor.Float64), nodes.Relu(x), nodes.Abs(x)}
	got := evalRef(t, map[*graph.Node]*tensor.Dense{x: in}, outs...)
	for _, r := range got {
		assert.NotSame(t, in, r)
		r.Float64s()[1] = -7
	}
	assert.Equal(t, []float64{1, 2}, in.Float64s())
}

func TestUnaryAttrs(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2)
	s := graph.Format(nodes.Scale(x, 2.5), nodes.Offset(x, -1), nodes.Cast(x, tensor.Float32), nodes.Exp(x))
	assert.Contains(t, s, "Scale(2.5)")
	assert.Contains(t, s, "Offset(-1)")
	assert.Contains(t, s, "Cast(f32)")
	assert.Contains(t, s, "= Exp %")
}

func TestUnaryErrors(t *testing.T) {
	const file = "unary_test.go"
	for _, c := range []struct {
		op    string
		build func(x *graph.Node) *graph.Node
	}{{"Exp", nodes.Exp}, {"Log", nodes.Log}, {"Sqrt", nodes.Sqrt}, {"Tanh", nodes.Tanh}, {"Sigmoid", nodes.Sigmoid}} {
		t.Run("int64 "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Int64, 2, 3)
			_, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "i64[2 3]", "nodes.Cast")
		})
	}
	for _, c := range []struct {
		op    string
		build func(x *graph.Node) *graph.Node
	}{{"Neg", nodes.Neg}, {"Relu", nodes.Relu}, {"Abs", nodes.Abs}, {"Exp", nodes.Exp}} {
		t.Run("bool "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Bool, 4)
			_, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "bool[4]")
		})
	}
	t.Run("int64 Scale by a fraction", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Int64, 3)
		_, line := nodes.Scale(x, 2.5), ewLine()
		ewErrAt(t, g, file, line, "Scale", "i64[3]", "2.5", "integral")
	})
	t.Run("int64 Offset by Inf", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Int64, 3)
		_, line := nodes.Offset(x, math.Inf(1)), ewLine()
		ewErrAt(t, g, file, line, "Offset", "i64[3]")
	})
	t.Run("Cast to an unsupported dtype", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 3)
		y, line := nodes.Cast(x, tensor.Int32), ewLine()
		ewErrAt(t, g, file, line, "Cast", "f64[3]", "int32")
		first := g.Err()
		require.NotPanics(t, func() { nodes.Exp(nodes.Cast(y, tensor.Float32)) })
		assert.Equal(t, first, g.Err())
	})
}
