package nodes_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

var redKinds = []nodes.ReduceKind{nodes.RedSum, nodes.RedMean, nodes.RedMax, nodes.RedMin, nodes.RedLogSumExp}

func redDtypes(k nodes.ReduceKind) []tensor.Dtype {
	if k == nodes.RedSum || k == nodes.RedMax || k == nodes.RedMin {
		return []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64}
	}
	return []tensor.Dtype{tensor.Float64, tensor.Float32}
}

func redAxes(k nodes.ReduceKind, axes ...int) func(x ...*graph.Node) *graph.Node {
	return func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.Reduce{Kind: k, Axes: axes}, x[0]) }
}

func TestReduceBatch(t *testing.T) {
	for _, k := range redKinds {
		build := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.Reduce{Kind: k}, x[0]) }
		for _, dt := range redDtypes(k) {
			pers := [][]int{{2, 3}, {}, {5}, {2, 1, 3}}
			if k == nodes.RedSum || k == nodes.RedMean {
				pers = append(pers, []int{0, 3})
			}
			for _, per := range pers {
				t.Run(fmt.Sprintf("%v/%s/%v", k, graph.DTypeName(dt), per), func(t *testing.T) {
					for bd := 0; bd <= len(per); bd++ {
						checkBatch(t, build, []*tensor.Dense{bVal(dt, per, bd, 0.9, false)}, []int{bd})
					}
				})
			}
		}
	}
}

// TestReduceAxesBatch checks the rule on the batched primitive (Reduce with
// Axes), as lowering a second loop axis does.
func TestReduceAxesBatch(t *testing.T) {
	per := []int{2, 3, 2}
	for _, k := range redKinds {
		for _, dt := range redDtypes(k) {
			for _, axes := range [][]int{{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}, {}} {
				t.Run(fmt.Sprintf("%v/%s/%v", k, graph.DTypeName(dt), axes), func(t *testing.T) {
					for bd := 0; bd <= len(per); bd++ {
						checkBatch(t, redAxes(k, axes...), []*tensor.Dense{bVal(dt, per, bd, 0.2, false)}, []int{bd})
					}
				})
			}
		}
	}
}

// TestReduceBatchForms: one Reduce, never a transpose, and the batch dim's
// place among the kept dims.
func TestReduceBatchForms(t *testing.T) {
	f := tensor.Float64
	for _, c := range []struct {
		per   []int
		axes  []int // nil: the user-facing op
		bd    int
		names []string
		obd   int
	}{
		{[]int{2, 3}, nil, 0, []string{"Sum"}, 0},
		{[]int{2, 3}, nil, 1, []string{"Sum"}, 0},
		{[]int{2, 3}, nil, 2, []string{"Sum"}, 0},
		{[]int{}, nil, 0, nil, 0}, // a per-example scalar: the identity
		{[]int{2, 3, 2}, []int{1}, 2, []string{"Sum"}, 1},
		{[]int{2, 3, 2}, []int{0, 2}, 0, []string{"Sum"}, 0},
		{[]int{2, 3, 2}, []int{0, 2}, 3, []string{"Sum"}, 1},
		{[]int{2, 3, 2}, []int{0}, 1, []string{"Sum"}, 0},
		{[]int{2, 3, 2}, []int{}, 1, nil, 1},
	} {
		build := func(x ...*graph.Node) *graph.Node { return nodes.Sum(x[0]) }
		if c.axes != nil {
			build = redAxes(nodes.RedSum, c.axes...)
		}
		vals := []*tensor.Dense{bVal(f, c.per, c.bd, 0.3, false)}
		names, obd := bTrace(t, build, vals, []int{c.bd})
		assert.Equal(t, c.names, names, "%v axes %v bd %d", c.per, c.axes, c.bd)
		assert.Equal(t, c.obd, obd, "%v axes %v bd %d", c.per, c.axes, c.bd)
	}
}

func TestReduceAxes(t *testing.T) {
	g := graph.New()
	x := g.Const(f64s([]int{2, 3}, 1, 2, 3, 4, 5, 6))
	r := func(k nodes.ReduceKind, axes ...int) *graph.Node {
		return graph.Apply(&nodes.Reduce{Kind: k, Axes: axes}, x)
	}
	outs := []*graph.Node{r(nodes.RedSum, 0), r(nodes.RedSum, 1), r(nodes.RedMean, 1), r(nodes.RedMax, 0),
		r(nodes.RedMin, 1), graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{}}, x), r(nodes.RedMean, 0, 1), r(nodes.RedLogSumExp, 0),
		graph.Apply(&nodes.Reduce{Kind: nodes.RedMax, Axes: []int{1}}, g.Const(i64s([]int{2, 2}, 1<<60+1, 1<<60, -3, -4)))}
	want := [][]float64{{5, 7, 9}, {6, 15}, {2, 5}, {4, 5, 6}, {1, 4}, {1, 2, 3, 4, 5, 6}, {3.5},
		{4 + math.Log1p(math.Exp(-3)), 5 + math.Log1p(math.Exp(-3)), 6 + math.Log1p(math.Exp(-3))}}
	got := evalRef(t, nil, outs...)
	for k := range want {
		ewCheckOut(t, outs[k], got[k])
		ewNear(t, want[k], got[k], 1e-15)
	}
	assert.Equal(t, []int64{1<<60 + 1, -3}, got[8].Int64s())
	assert.Equal(t, []int{2, 3}, outs[5].Shape())
	assert.Empty(t, outs[6].Shape())

	// Empty groups and empty results.
	e := g.Input("e", tensor.Float64, 0, 3)
	outs = []*graph.Node{
		graph.Apply(&nodes.Reduce{Kind: nodes.RedMax, Axes: []int{1}}, e),
		graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{0}}, e),
		graph.Apply(&nodes.Reduce{Kind: nodes.RedMean, Axes: []int{0}}, e),
	}
	got = evalRef(t, map[*graph.Node]*tensor.Dense{e: f64s([]int{0, 3})}, outs...)
	for k := range outs {
		ewCheckOut(t, outs[k], got[k])
	}
	assert.Equal(t, []int{0}, outs[0].Shape())
	ewNear(t, []float64{0, 0, 0}, got[1], 0)
	ewNear(t, []float64{math.NaN(), math.NaN(), math.NaN()}, got[2], 0)

	assert.Equal(t, "axes [0 2]", (&nodes.Reduce{Axes: []int{0, 2}}).Attrs())
	assert.Equal(t, "axes []", (&nodes.Reduce{Axes: []int{}}).Attrs())
	assert.Empty(t, (&nodes.Reduce{}).Attrs())
	assert.Equal(t, "Mean", (&nodes.Reduce{Kind: nodes.RedMean, Axes: []int{1}}).Name())

	// Labels of the kept dims survive.
	s := g.Axis("s", 2)
	ty, err := (&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{1}}).Infer([]graph.Type{graph.Of(tensor.Float64, []int{2, 3}, s, nil)})
	require.NoError(t, err)
	assert.Equal(t, "[s=2]", ty.Dims())
}

func TestReduceAxesErrors(t *testing.T) {
	const file = "reduce_axes_test.go"
	for _, axes := range [][]int{{1, 0}, {0, 0}, {-1}, {3}} {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 2, 3, 4)
		_, line := graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: axes}, x), ewLine()
		ewErrAt(t, g, file, line, "Sum", fmt.Sprint(axes), "sorted, distinct", "[2 3 4]")
	}
	for _, k := range []nodes.ReduceKind{nodes.RedMax, nodes.RedMin} {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 2, 0)
		_, line := graph.Apply(&nodes.Reduce{Kind: k, Axes: []int{1}}, x), ewLine()
		ewErrAt(t, g, file, line, k.String(), "empty reduction", "[2 0]")
	}
	g := graph.New()
	_, line := graph.Apply(&nodes.Reduce{Kind: nodes.RedMean, Axes: []int{0}}, g.Input("x", tensor.Int64, 2)), ewLine()
	ewErrAt(t, g, file, line, "Mean", "nodes.Cast")

	// A feed of another rank is a run-time error.
	g = graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	y := graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{1}}, x)
	_, err := tryEval(map[*graph.Node]*tensor.Dense{x: f64s([]int{2}, 1, 2)}, y)
	require.Error(t, err)
}
