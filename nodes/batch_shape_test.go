package nodes_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

var brAllDTypes = []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64, tensor.Bool}

// brSmall generates small integers (exact in every dtype; bool mixes true
// and false).
func brSmall(r *rand.Rand, dt tensor.Dtype, shape ...int) brGen {
	return func() *tensor.Dense { return dense.FromF64(dt, shape, brInts(r, shape)) }
}

func TestReshapeBatch(t *testing.T) {
	r := rand.New(rand.NewSource(31))
	for _, dt := range brAllDTypes {
		for _, c := range []struct {
			name  string
			shape []int
			build func(x ...*graph.Node) *graph.Node
		}{
			{"ravel", []int{2, 3}, func(x ...*graph.Node) *graph.Node { return nodes.Ravel(x[0]) }},
			{"ravel scalar", []int{}, func(x ...*graph.Node) *graph.Node { return nodes.Ravel(x[0]) }},
			{"reshape", []int{2, 3}, func(x ...*graph.Node) *graph.Node { return nodes.Reshape(x[0], 3, 2) }},
			{"reshape -1", []int{2, 3, 2}, func(x ...*graph.Node) *graph.Node { return nodes.Reshape(x[0], -1, 4) }},
			{"reshape scalar", []int{1, 1}, func(x ...*graph.Node) *graph.Node { return nodes.Reshape(x[0]) }},
		} {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				brCheckAll(t, c.build, []brGen{brSmall(r, dt, c.shape...)}, 3, true)
			})
		}
	}
	// Batch dim in front: a free reshape, nothing moves.
	vals := []*tensor.Dense{brOperand(brSmall(r, tensor.Float64, 2, 3), 4, 0)}
	out, bd := brRule(t, func(x ...*graph.Node) *graph.Node { return nodes.Reshape(x[0], 6) }, vals, []int{0})
	assert.Equal(t, 0, bd)
	assert.Equal(t, map[string]int{"Reshape": 1}, brOps(out))
	assert.Equal(t, []int{4, 6}, out.Shape())
}

func TestTransposeBatchLabels(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float64, 3, 4, 5)
	s := g.Axis("s", 0)
	x := g.Loop(s, func() *graph.Node { return w.At(s, graph.All, graph.All) }) // [s=3 4 5]
	y, bd, err := nodes.T(g.Input("e", tensor.Float64, 4, 5)).Op().Batch([]*graph.Node{x}, []int{0})
	require.NoError(t, err)
	assert.Equal(t, 0, bd)
	assert.Equal(t, "[s=3 5 4]", y.Type().Dims())
	assert.Equal(t, "Transpose", y.Op().Name())
	// Reshape keeps the batch dim's label.
	y, _, err = nodes.Ravel(g.Input("f", tensor.Float64, 4, 5)).Op().Batch([]*graph.Node{x}, []int{0})
	require.NoError(t, err)
	assert.Equal(t, "[s=3 20]", y.Type().Dims())
}

func TestConcatStackBatch(t *testing.T) {
	r := rand.New(rand.NewSource(32))
	concat := func(x ...*graph.Node) *graph.Node { return nodes.Concat(x...) }
	stack := func(x ...*graph.Node) *graph.Node { return nodes.Stack(x...) }
	for _, dt := range brAllDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			brCheckAll(t, concat, []brGen{brSmall(r, dt, 2), brSmall(r, dt, 3), brSmall(r, dt, 1)}, 2, true)
			brCheckAll(t, stack, []brGen{brSmall(r, dt, 2, 3), brSmall(r, dt, 2, 3)}, 2, true)
			brCheckAll(t, stack, []brGen{brSmall(r, dt), brSmall(r, dt)}, 3, true)
			for _, ax := range []int{1, 2} {
				op1 := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.ConcatOp{Axis: ax}, x...) }
				brCheckAll(t, op1, []brGen{brSmall(r, dt, 2, 1, 3), brSmall(r, dt, 2, 2, 3)}[:3-ax], 2, true)
				op2 := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.StackOp{Axis: ax}, x...) }
				brCheckAll(t, op2, []brGen{brSmall(r, dt, 2, 3), brSmall(r, dt, 2, 3)}, 2, true)
			}
		})
	}
}

func TestConcatStackAxis(t *testing.T) {
	g := graph.New()
	a, b := g.Input("a", tensor.Float64, 2, 1, 2), g.Input("b", tensor.Float64, 2, 2, 2)
	av := f64s([]int{2, 1, 2}, 1, 2, 3, 4)
	bv := f64s([]int{2, 2, 2}, 5, 6, 7, 8, 9, 10, 11, 12)
	c := graph.Apply(&nodes.ConcatOp{Axis: 1}, a, b)
	require.NoError(t, g.Err())
	assert.Equal(t, []int{2, 3, 2}, c.Shape())
	assert.Contains(t, graph.Format(c), "Concat(axis 1)")
	got := evalRef(t, map[*graph.Node]*tensor.Dense{a: av, b: bv}, c)[0]
	laCheckType(t, c, got)
	assert.Equal(t, []float64{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, dense.F64(got))

	c2 := graph.Apply(&nodes.ConcatOp{Axis: 2}, b, b)
	got = evalRef(t, map[*graph.Node]*tensor.Dense{b: bv}, c2)[0]
	assert.Equal(t, []int{2, 2, 4}, dense.Shape(got))
	assert.Equal(t, []float64{5, 6, 5, 6, 7, 8, 7, 8, 9, 10, 9, 10, 11, 12, 11, 12}, dense.F64(got))

	x, y := g.Input("x", tensor.Float64, 2, 2), g.Input("y", tensor.Float64, 2, 2)
	xv, yv := f64s([]int{2, 2}, 1, 2, 3, 4), f64s([]int{2, 2}, 5, 6, 7, 8)
	for ax, want := range [][]float64{
		{1, 2, 3, 4, 5, 6, 7, 8},
		{1, 2, 5, 6, 3, 4, 7, 8},
		{1, 5, 2, 6, 3, 7, 4, 8},
	} {
		s := graph.Apply(&nodes.StackOp{Axis: ax}, x, y)
		require.NoError(t, g.Err())
		shape := []int{2, 2}
		shape = append(shape[:ax:ax], append([]int{2}, shape[ax:]...)...)
		assert.Equal(t, shape, s.Shape())
		got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xv, y: yv}, s)[0]
		laCheckType(t, s, got)
		assert.Equal(t, want, dense.F64(got), "axis %d", ax)
	}
}

func TestConcatStackAxisErrors(t *testing.T) {
	f64 := tensor.Float64
	in := func(g *graph.Graph, name string, dims ...int) *graph.Node { return g.Input(name, f64, dims...) }
	cases := []struct {
		name, op string
		build    func(g *graph.Graph) *graph.Node
		wants    []string
	}{
		{"concat negative", "Concat", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.ConcatOp{Axis: -1}, in(g, "a", 2))
		}, []string{"negative axis -1"}},
		{"concat no dim", "Concat", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.ConcatOp{Axis: 1}, in(g, "a", 2, 3), in(g, "b", 2))
		}, []string{"piece 1 is [2]", "no dim 1"}},
		{"concat other dims", "Concat", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.ConcatOp{Axis: 1}, in(g, "a", 2, 3), in(g, "b", 3, 3))
		}, []string{"piece 1 is [3 3]", "piece 0 is [2 3]", "except dim 1"}},
		{"concat ranks", "Concat", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.ConcatOp{Axis: 1}, in(g, "a", 2, 3), in(g, "b", 2, 3, 1))
		}, []string{"piece 1 is [2 3 1]", "except dim 1"}},
		{"stack axis", "Stack", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.StackOp{Axis: 3}, in(g, "a", 2, 3), in(g, "b", 2, 3))
		}, []string{"axis 3", "[2 3]"}},
		{"stack negative", "Stack", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.StackOp{Axis: -1}, in(g, "a", 2))
		}, []string{"axis -1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "batch_shape_test.go", c.op, c.build, c.wants...) })
	}
}
