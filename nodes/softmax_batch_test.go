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

func smBatched(log bool, axis int) func(x ...*graph.Node) *graph.Node {
	return func(x ...*graph.Node) *graph.Node {
		return graph.Apply(&nodes.SoftmaxOp{Log: log, Batched: true, Axis: axis}, x[0])
	}
}

func TestSoftmaxBatch(t *testing.T) {
	for _, log := range []bool{false, true} {
		natural := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.SoftmaxOp{Log: log}, x[0]) }
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(fmt.Sprintf("log=%v/%s", log, graph.DTypeName(dt)), func(t *testing.T) {
				for _, bd := range []int{0, 1} {
					for _, per := range [][]int{{5}, {1}, {0}} {
						checkBatch(t, natural, []*tensor.Dense{bVal(dt, per, bd, 0.5, false)}, []int{bd})
					}
					names, obd := bTrace(t, natural, []*tensor.Dense{bVal(dt, []int{5}, bd, 0.5, false)}, []int{bd})
					assert.Equal(t, []string{map[bool]string{false: "Softmax", true: "LogSoftmax"}[log]}, names)
					assert.Equal(t, bd, obd)
				}
				// The batched form, batched again (nested loops).
				for _, c := range []struct {
					per  []int
					axis int
				}{{[]int{5}, 0}, {[]int{2, 3}, 0}, {[]int{2, 3}, 1}, {[]int{2, 3, 2}, 1}} {
					for bd := 0; bd <= len(c.per); bd++ {
						checkBatch(t, smBatched(log, c.axis), []*tensor.Dense{bVal(dt, c.per, bd, 0.7, false)}, []int{bd})
						names, obd := bTrace(t, smBatched(log, c.axis), []*tensor.Dense{bVal(dt, c.per, bd, 0.7, false)}, []int{bd})
						assert.Len(t, names, 1)
						assert.Equal(t, bd, obd)
					}
				}
			})
		}
	}
}

func TestSoftmaxBatchedForm(t *testing.T) {
	for _, log := range []bool{false, true} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			// Rows of a 2×3 matrix along axis 1, columns along axis 0; a large
			// offset checks the max shift.
			v := []float64{1000, 1001, 999, -2, 0.5, 3}
			g := graph.New()
			x := g.Const(dense.FromF64(dt, []int{2, 3}, v))
			rows, cols := smBatched(log, 1)(x), smBatched(log, 0)(x)
			got := evalRef(t, nil, rows, cols)
			ewCheckOut(t, rows, got[0])
			ewCheckOut(t, cols, got[1])
			// smWant is textbook, so shift each line by its max first (the
			// (log-)softmax does not change).
			rowWant, colWant := make([]float64, 6), make([]float64, 6)
			for r := 0; r < 2; r++ {
				m := math.Max(v[3*r], math.Max(v[3*r+1], v[3*r+2]))
				for c, w := range smWant([]float64{v[3*r] - m, v[3*r+1] - m, v[3*r+2] - m}, log) {
					rowWant[3*r+c] = ewRound(dt, w)
				}
			}
			for c := 0; c < 3; c++ {
				m := math.Max(v[c], v[3+c])
				for r, w := range smWant([]float64{v[c] - m, v[3+c] - m}, log) {
					colWant[3*r+c] = ewRound(dt, w)
				}
			}
			ewNear(t, rowWant, got[0], 1e-7)
			ewNear(t, colWant, got[1], 1e-7)
		}
	}
	assert.Equal(t, "axis 2", (&nodes.SoftmaxOp{Batched: true, Axis: 2}).Attrs())
	assert.Empty(t, (&nodes.SoftmaxOp{}).Attrs())
	assert.Equal(t, "LogSoftmax", (&nodes.SoftmaxOp{Log: true, Batched: true}).Name())
}

func TestSoftmaxBatchedErrors(t *testing.T) {
	const file = "softmax_batch_test.go"
	for _, c := range []struct {
		shape []int
		axis  int
		want  string
	}{{[]int{2, 3}, 2, "axis 2 of a rank-2"}, {[]int{2, 3}, -1, "axis -1"}, {nil, 0, "axis 0 of a rank-0"}} {
		g := graph.New()
		x := g.Input("x", tensor.Float64, c.shape...)
		_, line := graph.Apply(&nodes.SoftmaxOp{Batched: true, Axis: c.axis}, x), ewLine()
		ewErrAt(t, g, file, line, "Softmax", c.want)
	}
	g := graph.New()
	_, line := graph.Apply(&nodes.SoftmaxOp{Batched: true, Log: true}, g.Input("x", tensor.Int64, 2, 3)), ewLine()
	ewErrAt(t, g, file, line, "LogSoftmax", "nodes.Cast")

	g = graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	y := graph.Apply(&nodes.SoftmaxOp{Batched: true, Axis: 1}, x)
	_, err := tryEval(map[*graph.Node]*tensor.Dense{x: f64s([]int{2}, 1, 2)}, y)
	require.Error(t, err)
}
