package vmap_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// loops counts the loop nodes a lowered program still runs, nested included.
func loops(outs []*graph.Node) []string {
	var found []string
	var walk func(ns []*graph.Node)
	walk = func(ns []*graph.Node) {
		for _, n := range ns {
			if l, ok := n.Op().(*graph.LoopOp); ok {
				found = append(found, l.Axis.Name()+": "+l.Residual)
				walk(l.Body.Nodes)
			}
		}
	}
	walk(graph.Needed(outs))
	return found
}

// Lowering leaves no loop for the built-in ops: every case of the op suite,
// every mapped/unmapped combination.
func TestLowerLeavesNoLoop(t *testing.T) {
	for name, outs := range optest.Programs() {
		require.NoError(t, outs[0].Graph().Err(), name)
		lowered, err := vmap.Lower(outs)
		require.NoError(t, err, name)
		assert.Empty(t, loops(lowered), "%s:\n%s", name, graph.Format(lowered...))
	}
}

func TestLowerNestedEssayLoops(t *testing.T) {
	g := graph.New()
	A := g.Input("A", tensor.Float32, 4, 5, 6)
	B := g.Input("B", tensor.Float32, 5, 3)
	C := g.Input("C", tensor.Float32, 4, 6)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	lowered, err := vmap.Lower([]*graph.Node{D})
	require.NoError(t, err)
	assert.Empty(t, loops(lowered), graph.Format(lowered...))
}

// A custom op has no batching rule: lowering keeps a loop around it alone,
// Explain says so, and the results still match.
func TestCustomOpKeepsResidualLoop(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 6, 4)
	i := g.Axis("i", 0)
	rev := func(v *graph.Node) *graph.Node {
		return nodes.Custom("reverse", func(in []graph.Type) (graph.Type, error) { return in[0], nil },
			func(in []*tensor.Dense) (*tensor.Dense, error) {
				s := dense.F64(in[0])
				for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
					s[a], s[b] = s[b], s[a]
				}
				return dense.FromF64(in[0].Dtype(), dense.Shape(in[0]), s), nil
			}, v)
	}
	y := vmap.For(i).Do(func() *graph.Node { return nodes.Exp(rev(nodes.Scale(x.At(i, graph.All), 2))) })
	xv := dense.FromF64(tensor.Float64, []int{6, 4}, func() []float64 {
		r := rand.New(rand.NewSource(1))
		v := make([]float64, 24)
		for k := range v {
			v[k] = r.Float64()
		}
		return v
	}())
	ref, err := exec.Compile([]*graph.Node{y}, exec.Reference())
	require.NoError(t, err)
	cpu, err := exec.Compile([]*graph.Node{y}, exec.OnCPU())
	require.NoError(t, err)
	want, err := ref.Run(map[string]*tensor.Dense{"x": xv})
	require.NoError(t, err)
	got, err := cpu.Run(map[string]*tensor.Dense{"x": xv})
	require.NoError(t, err)
	optest.Close(t, "custom in a loop", got[0], want[0])
	e := cpu.Explain()
	assert.Contains(t, e, "1 loops remain")
	assert.True(t, strings.Contains(e, "reverse (lower_test.go:") && strings.Contains(e, "no batching rule"), e)
}
