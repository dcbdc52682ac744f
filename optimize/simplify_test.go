package optimize

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
)

// interpret runs the program computing outs with the reference rules.
func interpret(t *testing.T, outs []*graph.Node, feeds map[string]*tensor.Dense) []*tensor.Dense {
	t.Helper()
	env := map[*graph.Node]*tensor.Dense{}
	order := graph.Needed(outs)
	for _, n := range order {
		if in, ok := n.Op().(*graph.Input); ok {
			env[n] = feeds[in.Label]
		}
	}
	require.NoError(t, graph.Interpret(order, env))
	res := make([]*tensor.Dense, len(outs))
	for k, o := range outs {
		res[k] = env[o]
	}
	return res
}

func randDense(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

// Each identity removes its ops and keeps every result.
func TestSimplifyIdentities(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 3, 4)
	s := g.Input("s", tensor.Float32)
	ones := g.Const(dense.FromF64(tensor.Float32, []int{3, 4}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}))
	cases := map[string]*graph.Node{
		"x·1":             nodes.Mul(x, g.Scalar(1, tensor.Float32)),
		"1·x":             nodes.Mul(ones, x),
		"x+0":             nodes.Add(x, g.Scalar(0, tensor.Float32)),
		"scale 1":         nodes.Scale(x, 1),
		"offset 0":        nodes.Offset(x, 0),
		"-(-x)":           nodes.Neg(nodes.Neg(x)),
		"log(exp(x))":     nodes.Log(nodes.Exp(x)),
		"cast to own":     nodes.Cast(x, tensor.Float32),
		"reshape chain":   nodes.Reshape(nodes.Reshape(nodes.Reshape(x, 12), 2, 6), 3, 4),
		"no-op broadcast": graph.Apply(&nodes.BroadcastOp{Shape: []int{3, 4}, Dims: []int{0, 1}}, x),
		"sum over none":   graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{}}, x),
	}
	r := rand.New(rand.NewSource(1))
	feeds := map[string]*tensor.Dense{"x": randDense(r, tensor.Float32, 3, 4), "s": randDense(r, tensor.Float32)}
	for name, y := range cases {
		require.NoError(t, g.Err(), name)
		outs, err := simplify([]*graph.Node{y})
		require.NoError(t, err, name)
		assert.Same(t, x, outs[0], "%s: %s", name, graph.Format(outs...))
		want := interpret(t, []*graph.Node{y}, feeds)[0]
		optest.Close(t, name, interpret(t, outs, feeds)[0], want)
	}

	// Rewritten but not removed: -(x·c) is x·(-c).
	outs, err := simplify([]*graph.Node{nodes.Neg(nodes.Scale(x, 2.5))})
	require.NoError(t, err)
	op, ok := outs[0].Op().(*nodes.Unary)
	require.True(t, ok)
	assert.Equal(t, nodes.UnScale, op.Kind)
	assert.Equal(t, -2.5, op.C)

	// Kept: a scalar times a ones matrix changes the shape; x·0 is NaN for
	// NaN and Inf; exp(log(x)) is NaN for x < 0; x·2 is not x.
	for name, y := range map[string]*graph.Node{
		"s·ones":      nodes.Mul(s, ones),
		"x·0":         nodes.Mul(x, g.Scalar(0, tensor.Float32)),
		"exp(log(x))": nodes.Exp(nodes.Log(x)),
		"x·2":         nodes.Mul(x, g.Scalar(2, tensor.Float32)),
	} {
		outs, err := simplify([]*graph.Node{y})
		require.NoError(t, err, name)
		assert.Same(t, y, outs[0], name)
	}
}

// log(exp(x)) is x at the extremes too, where evaluating it would not be.
func TestSimplifyLogExpExtremes(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 5)
	outs, err := simplify([]*graph.Node{nodes.Log(nodes.Exp(x))})
	require.NoError(t, err)
	v := []float64{math.Inf(1), math.Inf(-1), math.NaN(), 100, -200}
	got := interpret(t, outs, map[string]*tensor.Dense{"x": dense.FromF64(tensor.Float32, []int{5}, v)})[0]
	for k, w := range dense.F64(got) {
		if math.IsNaN(v[k]) {
			assert.True(t, math.IsNaN(w))
			continue
		}
		assert.Equal(t, v[k], w)
	}
}
