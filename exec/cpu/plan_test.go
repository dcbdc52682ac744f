package cpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

func planOf(t *testing.T, outs ...*graph.Node) (*Plan, map[*graph.Node]int) {
	t.Helper()
	require.NoError(t, outs[0].Graph().Err())
	order := graph.Needed(outs)
	p := NewPlan(order, outs)
	at := map[*graph.Node]int{}
	for i, n := range order {
		at[n] = i
	}
	return p, at
}

// An elementwise chain runs in one buffer: each op overwrites the last.
func TestPlanChainInPlace(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 1000)
	a := nodes.Exp(x)
	b := nodes.Neg(a)
	c := nodes.Tanh(b)
	p, at := planOf(t, c)
	assert.Equal(t, -1, p.InPlace(at[a]), "a feed is never overwritten")
	assert.Equal(t, 0, p.InPlace(at[b]))
	assert.Equal(t, 0, p.InPlace(at[c]))
	assert.Equal(t, int64(4000), p.PeakBytes())
	buffers, inPlace, slots := p.Stats()
	assert.Equal(t, []int{1, 2, 0}, []int{buffers, inPlace, slots}, "the output's buffer is fresh, not an arena slot")
}

// Buffers whose lifetimes do not overlap share a slot; the output gets
// none.
func TestPlanReusesSlots(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 32, 32)
	a := nodes.MatMul(x, x)
	b := nodes.T(a)
	c := nodes.MatMul(b, x)
	d := nodes.T(c)
	p, at := planOf(t, d)
	require.GreaterOrEqual(t, p.Slot(at[a]), 0)
	require.GreaterOrEqual(t, p.Slot(at[b]), 0)
	assert.NotEqual(t, p.Slot(at[a]), p.Slot(at[b]), "b is written while a is read")
	assert.Equal(t, p.Slot(at[a]), p.Slot(at[c]), "a is dead when c is written")
	assert.Equal(t, -1, p.Slot(at[d]))
	assert.Equal(t, int64(2*32*32*4), p.ArenaBytes())
	assert.Equal(t, int64(2*32*32*4), p.PeakBytes())
}

// A reshape keeps its operand's buffer alive: nothing overwrites it while
// the view may still be read.
func TestPlanViewsKeepBuffers(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	a := nodes.Exp(x)
	v := nodes.Reshape(a, 3, 2)
	n := nodes.Neg(a)
	p, at := planOf(t, v, n)
	assert.Equal(t, -1, p.InPlace(at[n]))
	assert.True(t, p.Escapes(at[a]), "a is read back through the output v")
	assert.Equal(t, -1, p.Slot(at[a]))
}

// Runs of a compiled program reuse the arena and give identical results;
// outputs never live in it.
func TestCompiledRunsReuseArena(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 16, 16)
	y := nodes.T(nodes.MatMul(nodes.T(nodes.MatMul(x, x)), x))
	order := graph.Needed([]*graph.Node{y})
	c := Backend{}.Compile(order, []*graph.Node{y})
	xv := dense.Zeros(tensor.Float32, []int{16, 16})
	for k := range xv.Float32s() {
		xv.Float32s()[k] = float32(k%7) - 3
	}
	var first []float32
	for r := 0; r < 3; r++ {
		env := map[*graph.Node]*tensor.Dense{x: xv}
		require.NoError(t, c.Run(order, []*graph.Node{y}, env))
		out := env[y]
		require.Len(t, c.free, 1, "one arena, handed back after the run")
		assert.Equal(t, -1, c.free[0].owner(out), "an output never lives in the arena")
		if first == nil {
			first = append([]float32(nil), out.Float32s()...)
			continue
		}
		assert.Equal(t, first, out.Float32s())
	}
}
