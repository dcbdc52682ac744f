package nodes_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Helpers for the batching-rule tests of the linear algebra and shape ops.

// brGen makes one per-example operand value.
type brGen func() *tensor.Dense

// brRandom generates uniform values in [-1, 1) of one shape.
func brRandom(r *rand.Rand, dt tensor.Dtype, shape ...int) brGen {
	return func() *tensor.Dense {
		t, _ := laValue(dt, shape, laRandom(r, shape...))
		return t
	}
}

// brOperand is a batched operand: n values of gen placed along dim bd, or
// one value of gen when bd < 0 (shared).
func brOperand(gen brGen, n, bd int) *tensor.Dense {
	if bd < 0 {
		return gen()
	}
	first := gen()
	ex := dense.Shape(first)
	shape := append(append(append([]int{}, ex[:bd]...), n), ex[bd:]...)
	out := dense.Zeros(first.Dtype(), shape)
	dense.Put(out, bd, 0, first)
	for i := 1; i < n; i++ {
		dense.Put(out, bd, i, gen())
	}
	return out
}

// brBdims lists every assignment of batch dims to operands of the given
// per-example ranks (-1 shared, or any position 0..rank), with at least one
// operand batched.
func brBdims(ranks ...int) [][]int {
	out := [][]int{{}}
	for _, r := range ranks {
		var next [][]int
		for _, p := range out {
			for d := -1; d <= r; d++ {
				next = append(next, append(append([]int{}, p...), d))
			}
		}
		out = next
	}
	var res [][]int
	for _, p := range out {
		for _, d := range p {
			if d >= 0 {
				res = append(res, p)
				break
			}
		}
	}
	return res
}

// brCheckAll runs checkBatch over every bdims assignment with a loop of n.
func brCheckAll(t *testing.T, build func(x ...*graph.Node) *graph.Node, gens []brGen, n int, composes bool) {
	t.Helper()
	ranks := make([]int, len(gens))
	for k, g := range gens {
		ranks[k] = len(dense.Shape(g()))
	}
	for _, bd := range brBdims(ranks...) {
		vals := make([]*tensor.Dense, len(gens))
		for k, g := range gens {
			vals[k] = brOperand(g, n, bd[k])
		}
		t.Run(fmt.Sprint(bd), func(t *testing.T) {
			checkBatch(t, build, vals, bd)
			if composes {
				out, _ := brRule(t, build, vals, bd)
				brComposes(t, out, vals)
			}
		})
	}
}

// brRule builds the op on per-example inputs and returns its batching rule's
// result on inputs x0, x1, ... holding vals with the loop axis on bdims.
func brRule(t *testing.T, build func(x ...*graph.Node) *graph.Node, vals []*tensor.Dense, bdims []int) (*graph.Node, int) {
	t.Helper()
	g0 := graph.New()
	xs0 := make([]*graph.Node, len(vals))
	for k, v := range vals {
		s := dense.Shape(v)
		if bdims[k] >= 0 {
			s = append(s[:bdims[k]:bdims[k]], s[bdims[k]+1:]...)
		}
		xs0[k] = g0.Input(fmt.Sprint("x", k), v.Dtype(), s...)
	}
	op := build(xs0...).Op()
	require.NoError(t, g0.Err())
	g := graph.New()
	xs := make([]*graph.Node, len(vals))
	for k, v := range vals {
		xs[k] = g.Input(fmt.Sprint("x", k), v.Dtype(), dense.Shape(v)...)
	}
	out, bd, err := op.Batch(xs, bdims)
	require.NoError(t, err)
	require.NoError(t, g.Err())
	return out, bd
}

// brOps counts the ops (by name) a rule's result is computed with.
func brOps(out *graph.Node) map[string]int {
	c := map[string]int{}
	for _, n := range graph.Needed([]*graph.Node{out}) {
		if _, in := n.Op().(*graph.Input); !in {
			c[n.Op().Name()]++
		}
	}
	return c
}

// brComposes checks that every primitive out is computed with has a working
// batching rule of its own (nested loops lower one axis at a time): each node
// is lifted over a loop of two, its operands' values v and 2·v, with every
// operand batched on dim 0 and with each operand batched alone.
func brComposes(t *testing.T, out *graph.Node, vals []*tensor.Dense) {
	t.Helper()
	env := map[*graph.Node]*tensor.Dense{}
	nodes := graph.Needed([]*graph.Node{out})
	k := 0
	for _, n := range nodes {
		if _, in := n.Op().(*graph.Input); in {
			env[n] = vals[k]
			k++
		}
	}
	require.NoError(t, graph.Interpret(nodes, env))
	for _, n := range nodes {
		if _, in := n.Op().(*graph.Input); in {
			continue
		}
		op, args := n.Op(), n.Inputs()
		build := func(x ...*graph.Node) *graph.Node { return graph.Apply(op, x...) }
		for only := -1; only < len(args); only++ {
			vs := make([]*tensor.Dense, len(args))
			bd := make([]int, len(args))
			for j, a := range args {
				vs[j], bd[j] = env[a], -1
				if only < 0 || only == j {
					vs[j], bd[j] = brTwice(env[a]), 0
				}
			}
			checkBatch(t, build, vs, bd)
		}
	}
}

// brTwice stacks v and 2·v along a new leading dim.
func brTwice(v *tensor.Dense) *tensor.Dense {
	f := dense.F64(v)
	data := append(append([]float64{}, f...), f...)
	for i := len(f); i < len(data); i++ {
		data[i] *= 2
	}
	return dense.FromF64(v.Dtype(), append([]int{2}, dense.Shape(v)...), data)
}
