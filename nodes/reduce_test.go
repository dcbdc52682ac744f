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

// redWant computes each reduction with a plain Go loop.
func redWant(name string, v []float64) float64 {
	switch name {
	case "Sum", "Mean":
		s := 0.0
		for _, x := range v {
			s += x
		}
		if name == "Mean" {
			return s / float64(len(v))
		}
		return s
	case "Max", "Min":
		m := v[0]
		for _, x := range v {
			if name == "Max" && x > m || name == "Min" && x < m {
				m = x
			}
		}
		return m
	case "LogSumExp":
		s := 0.0
		for _, x := range v {
			s += math.Exp(x)
		}
		return math.Log(s)
	}
	panic(name)
}

func TestReduceFloat(t *testing.T) {
	ops := []struct {
		name  string
		build func(x *graph.Node) *graph.Node
	}{{"Sum", nodes.Sum}, {"Mean", nodes.Mean}, {"Max", nodes.Max}, {"Min", nodes.Min}, {"LogSumExp", nodes.LogSumExp}}
	for _, op := range ops {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, shape := range [][]int{{2, 3}, {}, {7}, {2, 1, 3}} {
				t.Run(fmt.Sprintf("%s/%s/%v", op.name, graph.DTypeName(dt), shape), func(t *testing.T) {
					g := graph.New()
					xt := dense.FromF64(dt, shape, ewData(dense.Size(shape), 0.9, false))
					x := g.Input("x", dt, shape...)
					y := op.build(x)
					got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xt}, y)[0]
					ewCheckOut(t, y, got)
					assert.Empty(t, y.Shape())
					ewNear(t, []float64{ewRound(dt, redWant(op.name, dense.F64(xt)))}, got, 1e-14)
				})
			}
		}
	}
}

func TestReduceHandValues(t *testing.T) {
	g := graph.New()
	x := g.Const(f64s([]int{2, 2}, 1, -2, 3, 4))
	f := g.Const(f32s([]int{3}, 0.5, 0.25, 0.25))
	outs := []*graph.Node{nodes.Sum(x), nodes.Mean(x), nodes.Max(x), nodes.Min(x), nodes.Sum(f), nodes.Mean(f),
		nodes.LogSumExp(g.Const(f64s([]int{2}, 0, 0))), nodes.Sum(g.Scalar(5, tensor.Float64))}
	want := []float64{6, 1.5, 4, -2, 1, float64(float32(1.0 / 3)), math.Ln2, 5}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
		ewNear(t, want[k:k+1], got[k], 1e-15)
	}
}

func TestReduceInt64(t *testing.T) {
	const big = int64(1) << 60
	g := graph.New()
	x := g.Const(i64s([]int{2, 2}, big, 1, -big-5, 3))
	e := g.Input("e", tensor.Int64, 0)
	outs := []*graph.Node{nodes.Sum(x), nodes.Max(x), nodes.Min(x), nodes.Sum(e)}
	got := evalRef(t, map[*graph.Node]*tensor.Dense{e: dense.Zeros(tensor.Int64, []int{0})}, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []int64{-1}, got[0].Int64s())
	assert.Equal(t, []int64{big}, got[1].Int64s())
	assert.Equal(t, []int64{-big - 5}, got[2].Int64s())
	assert.Equal(t, []int64{0}, got[3].Int64s())
}

func TestReduceEmpty(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := graph.New()
		x := g.Input("x", dt, 0, 3)
		outs := []*graph.Node{nodes.Sum(x), nodes.Mean(x), nodes.LogSumExp(x)}
		got := evalRef(t, map[*graph.Node]*tensor.Dense{x: dense.Zeros(dt, []int{0, 3})}, outs...)
		for k := range outs {
			ewCheckOut(t, outs[k], got[k])
		}
		ewNear(t, []float64{0}, got[0], 0)
		ewNear(t, []float64{math.NaN()}, got[1], 0)
		ewNear(t, []float64{math.Inf(-1)}, got[2], 0)
	}
}

func TestReduceSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	g := graph.New()
	withNaN := g.Const(f64s([]int{3}, 1, nan, 2))
	allNegInf := g.Const(f64s([]int{2}, -inf, -inf))
	outs := []*graph.Node{
		nodes.Max(withNaN), nodes.Min(withNaN), nodes.LogSumExp(allNegInf),
		nodes.LogSumExp(g.Const(f64s([]int{2}, -inf, 0))), nodes.LogSumExp(g.Const(f64s([]int{2}, inf, 0))),
		nodes.Max(allNegInf), nodes.LogSumExp(withNaN),
	}
	want := []float64{nan, nan, -inf, 0, inf, -inf, nan}
	got := evalRef(t, nil, outs...)
	for k := range outs {
		ewNear(t, want[k:k+1], got[k], 0)
	}
}

func TestLogSumExpStable(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := graph.New()
		outs := []*graph.Node{
			nodes.LogSumExp(g.Const(dense.FromF64(dt, []int{2}, []float64{1000, 1000}))),
			nodes.LogSumExp(g.Const(dense.FromF64(dt, []int{2}, []float64{-1000, -1000}))),
			nodes.LogSumExp(g.Const(dense.FromF64(dt, []int{1, 3}, []float64{1000, 0, -1000}))),
			nodes.LogSumExp(g.Const(dense.FromF64(dt, nil, []float64{800}))),
		}
		want := []float64{1000 + math.Ln2, -1000 + math.Ln2, 1000, 800}
		got := evalRef(t, nil, outs...)
		for k := range outs {
			ewCheckOut(t, outs[k], got[k])
			ewNear(t, []float64{ewRound(dt, want[k])}, got[k], 1e-15)
		}
	}
}

func TestReduceErrors(t *testing.T) {
	const file = "reduce_test.go"
	for _, c := range []struct {
		op    string
		build func(x *graph.Node) *graph.Node
	}{{"Mean", nodes.Mean}, {"LogSumExp", nodes.LogSumExp}} {
		t.Run("int64 "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Int64, 4)
			_, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "i64[4]", "nodes.Cast")
		})
	}
	for _, c := range []struct {
		op    string
		build func(x *graph.Node) *graph.Node
	}{{"Max", nodes.Max}, {"Min", nodes.Min}} {
		t.Run("empty "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Float64, 2, 0)
			y, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "empty", "[2 0]")
			first := g.Err()
			require.NotPanics(t, func() { nodes.Sum(nodes.Add(y, y)) })
			assert.Equal(t, first, g.Err())
		})
	}
	t.Run("bool Sum", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Bool, 3)
		_, line := nodes.Sum(x), ewLine()
		ewErrAt(t, g, file, line, "Sum", "bool[3]", "nodes.Cast")
	})
}
