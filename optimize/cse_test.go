package optimize

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Constants merge by value, whatever their size (autodiff's replays of a
// loop body fold their own copies of one constant), but never two values
// that differ in a bit: +0 and -0, int64s that round to one float64, or
// the same numbers in another dtype or shape.
func TestCSEMergesConstantsByValue(t *testing.T) {
	g := graph.New()
	ramp := func(dt tensor.Dtype, n int, f func(k int) float64, shape ...int) *graph.Node {
		v := make([]float64, n)
		for k := range v {
			v[k] = f(k)
		}
		if shape == nil {
			shape = []int{n}
		}
		return g.Const(dense.FromF64(dt, shape, v))
	}
	lin := func(k int) float64 { return float64(k) / 3 }
	a, b := ramp(tensor.Float32, 100, lin), ramp(tensor.Float32, 100, lin)
	c := ramp(tensor.Float64, 100, lin)
	d := ramp(tensor.Float32, 100, lin, 10, 10)
	pz := ramp(tensor.Float64, 40, func(int) float64 { return 0 })
	nz := ramp(tensor.Float64, 40, func(int) float64 { return math.Copysign(0, -1) })
	big1 := g.Const(dense.FromI64([]int{2}, []int64{1 << 60, 1}))
	big2 := g.Const(dense.FromI64([]int{2}, []int64{1<<60 + 1, 1}))
	x := g.Input("x", tensor.Float32, 100)
	outs := []*graph.Node{nodes.Mul(x, a), nodes.Mul(x, b), nodes.Cast(c, tensor.Float32), nodes.Ravel(d),
		nodes.Exp(pz), nodes.Exp(nz), nodes.Neg(big1), nodes.Neg(big2)}
	require.NoError(t, g.Err())
	got, err := cse(outs)
	require.NoError(t, err)
	assert.Same(t, got[0], got[1], "equal float32 constants merge, and so do their readers")
	consts := map[*graph.Node]bool{}
	for _, o := range got {
		for _, x := range o.Inputs() {
			if _, ok := x.Op().(*graph.Const); ok {
				consts[x] = true
			}
		}
	}
	assert.Len(t, consts, 7, "a=b, and six distinct others: the float64 copy, the 10×10 one, +0, -0 and two int64 values")
	assert.NotSame(t, got[4], got[5], "+0 and -0 stay apart")
	assert.NotSame(t, got[6], got[7], "int64 values one apart stay apart")
}
