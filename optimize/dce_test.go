package optimize

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// A capture read only by dead code in a loop body is dropped (the loop is
// traced again without it); the loop's result is unchanged; dead top-level
// values are not part of the program.
func TestDCE(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 4, 3)
	y := g.Input("y", tensor.Float64, 4, 3)
	w := g.Input("w", tensor.Float64, 3)
	i := g.Axis("i", 0)
	all := graph.All
	deadTop := nodes.Exp(x)
	loop := vmap.For(i).Do(func() *graph.Node {
		_ = nodes.Tanh(x.At(i, all)) // dead: the result never reads it
		return nodes.Mul(nodes.Neg(y.At(i, all)), w)
	})
	require.NoError(t, g.Err())
	require.NotNil(t, deadTop)
	require.Len(t, loop.Inputs(), 3, "the dead capture is there before dce")

	outs, err := dce([]*graph.Node{loop})
	require.NoError(t, err)
	require.NoError(t, Verify(outs))
	got := outs[0]
	_, isLoop := got.Op().(*graph.LoopOp)
	require.True(t, isLoop, graph.Format(outs...))
	assert.ElementsMatch(t, []*graph.Node{y, w}, got.Inputs(), graph.Format(outs...))
	for _, n := range graph.Needed(outs) {
		assert.NotSame(t, deadTop, n)
		assert.NotSame(t, x, n, "x is read only by dead code")
	}

	r := rand.New(rand.NewSource(2))
	feeds := map[string]*tensor.Dense{"x": randDense(r, tensor.Float64, 4, 3), "y": randDense(r, tensor.Float64, 4, 3), "w": randDense(r, tensor.Float64, 3)}
	optest.Close(t, "dce", interpret(t, outs, feeds)[0], interpret(t, []*graph.Node{loop}, feeds)[0])

	// A loop with nothing dead is kept as it is.
	again, err := dce(outs)
	require.NoError(t, err)
	assert.Same(t, got, again[0])
}
