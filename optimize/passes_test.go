package optimize

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
)

func TestOrderMatchesTable(t *testing.T) {
	pos := map[string]int{}
	for k, p := range Passes {
		require.NotContains(t, pos, p.Name, "pass %s listed twice", p.Name)
		pos[p.Name] = k
		assert.NotEmpty(t, p.Purpose, p.Name)
	}
	for _, c := range Order {
		require.Contains(t, pos, c.Before)
		require.Contains(t, pos, c.After)
		assert.Less(t, pos[c.Before], pos[c.After], "%s must run before %s: %s", c.Before, c.After, c.Why)
	}
}

// Every pass keeps the invariants on the whole op suite.
func TestPassesKeepInvariants(t *testing.T) {
	for name, outs := range optest.Programs() {
		_, err := Run(outs, Options{Verify: true})
		require.NoError(t, err, name)
	}
}

func TestFoldTransposes(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 2, 3, 4, 5)
	y := g.Input("y", tensor.Float32, 3, 2, 5, 6)
	back := nodes.Transpose(nodes.Transpose(x, 1, 0, 3, 2), 1, 0, 3, 2)
	mm := nodes.BatchMatMul(nodes.Transpose(x, 1, 0, 2, 3), nodes.Transpose(y, 0, 1, 3, 2), false, true)
	outs, err := foldTransposes([]*graph.Node{back, mm})
	require.NoError(t, err)
	assert.Same(t, x, outs[0], "a transpose undone is no transpose")
	op := outs[1].Op().(*nodes.BatchMatMulOp)
	assert.Equal(t, []int{1, 0}, op.PermA)
	assert.False(t, op.TransB, "a transposed operand flips the flag")
	assert.Equal(t, []int{3, 2, 4, 6}, outs[1].Shape())
	for _, n := range graph.Needed(outs) {
		_, isT := n.Op().(*nodes.TransposeOp)
		assert.False(t, isT, "transpose left: %s", graph.Format(outs...))
	}
}

func TestEpilogueFoldsScale(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float32, 2, 3, 4)
	b := g.Input("b", tensor.Float32, 2, 4, 5)
	mm := nodes.BatchMatMul(a, b, false, false)
	only := nodes.Scale(nodes.Scale(mm, 2), 3)
	outs, err := Run([]*graph.Node{only}, Options{Verify: true})
	require.NoError(t, err)
	op, ok := outs[0].Op().(*nodes.BatchMatMulOp)
	require.True(t, ok, graph.Format(outs...))
	assert.Equal(t, 6.0, op.Alpha)

	shared := nodes.BatchMatMul(b, nodes.Transpose(b, 0, 2, 1), false, false)
	outs, err = Run([]*graph.Node{nodes.Scale(shared, 2), shared}, Options{Verify: true})
	require.NoError(t, err)
	_, isScale := outs[0].Op().(*nodes.Unary)
	assert.True(t, isScale, "a product used twice keeps its separate scale")
}
