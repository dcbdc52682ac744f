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

// smWant is softmax (or log-softmax) by the textbook formula, fine for
// small inputs.
func smWant(v []float64, log bool) []float64 {
	s := 0.0
	for _, x := range v {
		s += math.Exp(x)
	}
	out := make([]float64, len(v))
	for k, x := range v {
		if log {
			out[k] = x - math.Log(s)
		} else {
			out[k] = math.Exp(x) / s
		}
	}
	return out
}

func TestSoftmaxValues(t *testing.T) {
	for _, log := range []bool{false, true} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, n := range []int{1, 5, 0} {
				t.Run(fmt.Sprintf("log=%v/%s/%d", log, graph.DTypeName(dt), n), func(t *testing.T) {
					g := graph.New()
					xt := dense.FromF64(dt, []int{n}, ewData(n, 2.0, false))
					x := g.Input("x", dt, n)
					y := nodes.Softmax(x)
					if log {
						y = nodes.LogSoftmax(x)
					}
					got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xt}, y)[0]
					ewCheckOut(t, y, got)
					want := smWant(dense.F64(xt), log)
					for k := range want {
						want[k] = ewRound(dt, want[k])
					}
					tol := 1e-15
					if dt == tensor.Float32 {
						tol = 1.2e-7
					}
					ewNear(t, want, got, tol)
					if !log && n > 0 {
						assert.InDelta(t, 1, redWant("Sum", dense.F64(got)), 1e-6)
					}
				})
			}
		}
	}
}

func TestSoftmaxHandValues(t *testing.T) {
	g := graph.New()
	x := g.Const(f64s([]int{3}, 0, math.Ln2, 0))
	s, l := nodes.Softmax(x), nodes.LogSoftmax(x)
	got := evalRef(t, nil, s, l)
	ewNear(t, []float64{0.25, 0.5, 0.25}, got[0], 1e-15)
	ewNear(t, []float64{-2 * math.Ln2, -math.Ln2, -2 * math.Ln2}, got[1], 1e-15)
}

func TestSoftmaxStable(t *testing.T) {
	inf := math.Inf(1)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := graph.New()
		c := func(v ...float64) *graph.Node { return g.Const(dense.FromF64(dt, []int{len(v)}, v)) }
		outs := []*graph.Node{
			nodes.Softmax(c(1000, 1000)), nodes.LogSoftmax(c(1000, 1000)),
			nodes.Softmax(c(1000, 0)), nodes.LogSoftmax(c(1000, 0)),
			nodes.Softmax(c(-1000, -1000, -1000, -1000)), nodes.LogSoftmax(c(-1000, -1001)),
			nodes.Softmax(c(-inf, 0)), nodes.LogSoftmax(c(-inf, 0)),
		}
		want := [][]float64{
			{0.5, 0.5}, {-math.Ln2, -math.Ln2},
			{1, 0}, {0, -1000},
			{0.25, 0.25, 0.25, 0.25}, {-math.Log1p(math.Exp(-1)), -1 - math.Log1p(math.Exp(-1))},
			{0, 1}, {-inf, 0},
		}
		got := evalRef(t, nil, outs...)
		for k := range outs {
			ewCheckOut(t, outs[k], got[k])
			w := make([]float64, len(want[k]))
			for i := range w {
				w[i] = ewRound(dt, want[k][i])
			}
			ewNear(t, w, got[k], 1e-7)
		}
	}
}

func TestSoftmaxErrors(t *testing.T) {
	const file = "softmax_test.go"
	for _, c := range []struct {
		op    string
		build func(x *graph.Node) *graph.Node
	}{{"Softmax", nodes.Softmax}, {"LogSoftmax", nodes.LogSoftmax}} {
		t.Run("matrix "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Float64, 2, 3)
			y, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "[2 3]", "1-D")
			first := g.Err()
			require.NotPanics(t, func() { c.build(nodes.Exp(y)) })
			assert.Equal(t, first, g.Err())
		})
		t.Run("scalar "+c.op, func(t *testing.T) {
			g := graph.New()
			_, line := c.build(g.Scalar(1, tensor.Float32)), ewLine()
			ewErrAt(t, g, file, line, c.op, "[]", "1-D")
		})
		t.Run("int64 "+c.op, func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", tensor.Int64, 3)
			_, line := c.build(x), ewLine()
			ewErrAt(t, g, file, line, c.op, "i64[3]", "nodes.Cast")
		})
	}
}
