package optimize

import (
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

// randomChain applies up to n random reshapes and transposes to x.
func randomChain(r *rand.Rand, x *graph.Node, n int) *graph.Node {
	for range n {
		s := x.Shape()
		switch r.Intn(3) {
		case 0: // transpose
			x = nodes.Transpose(x, r.Perm(len(s))...)
		case 1: // split a dim in two, or add a size-1 dim
			k := r.Intn(len(s))
			shape := append([]int{}, s[:k]...)
			switch d := s[k]; {
			case d%2 == 0 && d > 2:
				shape = append(shape, 2, d/2)
			case d%3 == 0 && d > 3:
				shape = append(shape, d/3, 3)
			default:
				shape = append(shape, 1, d)
			}
			x = nodes.Reshape(x, append(shape, s[k+1:]...)...)
		default: // merge two neighbours, or reshape freely
			if len(s) >= 2 && r.Intn(3) > 0 {
				k := r.Intn(len(s) - 1)
				shape := append(append([]int{}, s[:k]...), s[k]*s[k+1])
				x = nodes.Reshape(x, append(shape, s[k+2:]...)...)
			} else {
				x = nodes.Reshape(x, dense.Size(s)/2, 2)
			}
		}
	}
	return x
}

// A view's build, its inverse and its reading by a matmul all agree with
// the chain of ops it stands for, on random chains.
func TestViewMatchesChain(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	built, inverted, read := 0, 0, 0
	for trial := range 400 {
		g := graph.New()
		shapes := [][]int{{4, 6}, {2, 3, 4}, {6, 1, 4}, {2, 2, 3, 2}, {12}, {3, 4, 2, 1}}
		x := g.Input("x", tensor.Float64, shapes[trial%len(shapes)]...)
		top := randomChain(r, x, 1+r.Intn(5))
		require.NoError(t, g.Err())
		feeds := map[string]*tensor.Dense{"x": randDense(r, tensor.Float64, x.Shape()...)}
		v := newView(top.Shape())
		for n := top; n != x && v != nil; n = n.Inputs()[0] {
			v = v.through(n)
		}
		if v == nil {
			continue // a reshape that mixes permuted dims: no view
		}
		built++
		b := v.build(x, nil)
		require.NoError(t, g.Err())
		got := interpret(t, []*graph.Node{b, top}, feeds)
		optest.Close(t, graph.Format(top), got[0], got[1])
		assert.Equal(t, top.Shape(), b.Shape())

		back := v.inverse().build(b, nil)
		require.NoError(t, g.Err())
		got = interpret(t, []*graph.Node{back, x}, feeds)
		optest.Close(t, "inverse of "+graph.Format(top), got[0], got[1])
		inverted++

		if top.Rank() < 2 {
			continue
		}
		phys, perm, trans, ok := v.operand()
		if !ok {
			continue
		}
		read++
		s := top.Shape()
		bs := append(append([]int{}, s[:len(s)-1]...), 3)
		bs[len(bs)-2] = s[len(s)-1]
		y := g.Input("y", tensor.Float64, bs...)
		feeds["y"] = randDense(r, tensor.Float64, bs...)
		want := nodes.BatchMatMul(top, y, false, false)
		have := graph.Apply(&nodes.BatchMatMulOp{PermA: perm, TransA: trans}, reshapeTo(x, phys, nil), y)
		require.NoError(t, g.Err())
		got = interpret(t, []*graph.Node{have, want}, feeds)
		optest.Close(t, "matmul reading "+graph.Format(top), got[0], got[1])
	}
	t.Logf("%d views built, %d inverted, %d read in place by a matmul", built, inverted, read)
	assert.Greater(t, read, 50)
}
