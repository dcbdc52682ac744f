package exec_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

func seq(dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = float64(k)
	}
	return dense.FromF64(dt, shape, v)
}

// gatherProgram picks rows of x by the int64 labels input, in a loop.
func gatherProgram(t *testing.T, opts ...exec.Option) *exec.Program {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 5, 3)
	labels := g.Input("labels", tensor.Int64, 4)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		return nodes.Sum(x.At(labels.At(i), graph.All))
	})
	p, err := exec.Compile([]*graph.Node{y}, opts...)
	require.NoError(t, err)
	return p
}

func TestBadFeeds(t *testing.T) {
	for _, opt := range []exec.Option{exec.Reference(), exec.OnCPU()} {
		p := gatherProgram(t, opt)
		good := func() map[string]*tensor.Dense {
			return map[string]*tensor.Dense{"x": seq(tensor.Float64, 5, 3), "labels": dense.FromI64([]int{4}, []int64{0, 4, 2, 2})}
		}
		out, err := p.Run(good())
		require.NoError(t, err)
		assert.Equal(t, []float64{3, 39, 21, 21}, out[0].Float64s())

		cases := []struct {
			name string
			edit func(f map[string]*tensor.Dense)
			want string
		}{
			{"missing", func(f map[string]*tensor.Dense) { delete(f, "labels") }, `input "labels" not fed`},
			{"unknown", func(f map[string]*tensor.Dense) { f["y"] = seq(tensor.Float64, 1) }, `unknown input "y"`},
			{"shape", func(f map[string]*tensor.Dense) { f["x"] = seq(tensor.Float64, 5, 4) }, `input "x" has shape [5 4], want [5 3]`},
			{"dtype", func(f map[string]*tensor.Dense) { f["x"] = seq(tensor.Float32, 5, 3) }, `input "x" has dtype float32, want float64`},
			{"nil", func(f map[string]*tensor.Dense) { f["x"] = nil }, `input "x" is nil`},
			{"index", func(f map[string]*tensor.Dense) { f["labels"] = dense.FromI64([]int{4}, []int64{0, 1, 7, 2}) }, `input "labels": `},
			{"negative index", func(f map[string]*tensor.Dense) { f["labels"] = dense.FromI64([]int{4}, []int64{0, -1, 1, 2}) }, "index -1 out of range [0,5)"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := good()
				c.edit(f)
				var err error
				assert.NotPanics(t, func() { _, err = p.Run(f) })
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.want)
			})
		}
	}
}

func TestCompileErrors(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3)
	bad := nodes.Add(x, g.Input("y", tensor.Float64, 4))
	_, err := exec.Compile([]*graph.Node{bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exec_test.go:")

	g2 := graph.New()
	x2 := g2.Input("x", tensor.Float64, 3)
	var inner *graph.Node
	i := g2.Axis("i", 0)
	vmap.For(i).Do(func() *graph.Node { inner = x2.At(i); return inner })
	_, err = exec.Compile([]*graph.Node{inner})
	assert.ErrorContains(t, err, "inside a loop body")

	_, err = exec.Compile(nil)
	assert.ErrorContains(t, err, "no outputs")
	_, err = exec.Compile([]*graph.Node{x, x2})
	assert.ErrorContains(t, err, "another graph")
	_, err = exec.Compile([]*graph.Node{x}, exec.OnCUDA())
	assert.ErrorContains(t, err, "OnCUDA")
}

func TestOutputsNeverAlias(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3)
	c := g.Const(seq(tensor.Float64, 2))
	y := nodes.Scale(x, 2)
	p, err := exec.Compile([]*graph.Node{x, c, y, y})
	require.NoError(t, err)
	in := seq(tensor.Float64, 3)
	out, err := p.Run(map[string]*tensor.Dense{"x": in})
	require.NoError(t, err)
	out[0].Float64s()[0] = 100
	out[1].Float64s()[0] = 100
	out[2].Float64s()[0] = 100
	assert.Equal(t, []float64{0, 1, 2}, in.Float64s(), "input untouched")
	assert.Equal(t, []float64{0, 2, 4}, out[3].Float64s(), "duplicate outputs are separate")
	again, err := p.Run(map[string]*tensor.Dense{"x": in})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1}, again[1].Float64s(), "constants untouched")
}

func TestFeedViewsAreRead(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2)
	p, err := exec.Compile([]*graph.Node{nodes.Sum(x)})
	require.NoError(t, err)
	base := seq(tensor.Float64, 3, 2)
	view, err := base.Slice(tensor.S(2))
	require.NoError(t, err)
	out, err := p.Run(map[string]*tensor.Dense{"x": view.(*tensor.Dense)})
	require.NoError(t, err)
	assert.Equal(t, []float64{9}, out[0].Float64s())
}

func TestConcurrentRunIsDeterministic(t *testing.T) {
	g := graph.New()
	A := g.Input("A", tensor.Float64, 64, 4, 4)
	b := g.Input("b", tensor.Float64, 64, 4)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		a := A.At(i, graph.All, graph.All)
		return nodes.Softmax(nodes.Solve(nodes.Add(a, nodes.Scale(nodes.MatMul(a, nodes.T(a)), 0)), b.At(i, graph.All)))
	})
	p, err := exec.Compile([]*graph.Node{y})
	require.NoError(t, err)
	feeds := map[string]*tensor.Dense{"A": seq(tensor.Float64, 64, 4, 4), "b": seq(tensor.Float64, 64, 4)}
	av := feeds["A"].Float64s()
	for k := 0; k < 64; k++ { // make each system well conditioned
		for d := 0; d < 4; d++ {
			av[k*16+d*5] += 100
		}
	}
	want, err := p.Run(feeds)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 5; r++ {
				got, err := p.Run(feeds)
				if err != nil {
					errs[w] = err
					return
				}
				if fmt.Sprint(got[0].Float64s()) != fmt.Sprint(want[0].Float64s()) {
					errs[w] = fmt.Errorf("run %d differs", r)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

func TestPutCallDense(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float32, 3)
	x := g.Input("x", tensor.Float32, 3)
	p, err := exec.Compile([]*graph.Node{nodes.Add(w, x)})
	require.NoError(t, err)
	wv, err := p.Put(seq(tensor.Float32, 3))
	require.NoError(t, err)
	xv, err := p.Put(seq(tensor.Float32, 3))
	require.NoError(t, err)
	out, err := p.Call(map[string]*exec.Value{"w": wv, "x": xv})
	require.NoError(t, err)
	// Feed the result back, as a training step does with its weights.
	out, err = p.Call(map[string]*exec.Value{"w": out[0], "x": xv})
	require.NoError(t, err)
	d, err := out[0].Dense()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 3, 6}, d.Float32s())
	_, err = p.Call(map[string]*exec.Value{"w": nil, "x": xv})
	assert.ErrorContains(t, err, `input "w" is a nil Value`)
}

func TestExplainShowsProgram(t *testing.T) {
	p := gatherProgram(t)
	e := p.Explain()
	assert.Contains(t, e, "program on cpu")
	assert.Contains(t, e, "At(take dim 0", "the gather by a batched index becomes a take")
	assert.Contains(t, e, `labels i64[4]`)
}

func TestReshapedFeedOutputIsACopy(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	p, err := exec.Compile([]*graph.Node{nodes.Ravel(x), nodes.Reshape(x, 3, 2)})
	require.NoError(t, err)
	in := seq(tensor.Float64, 2, 3)
	out, err := p.Run(map[string]*tensor.Dense{"x": in})
	require.NoError(t, err)
	out[0].Float64s()[0] = 42
	out[1].Float64s()[1] = 42
	assert.Equal(t, seq(tensor.Float64, 2, 3).Float64s(), in.Float64s())
	assert.Equal(t, 0.0, out[1].Float64s()[0], "outputs do not share memory")
}

// A dead operand's buffer is reused in place only when nothing else — a
// reshape of it, an output, a feed — still holds it.
func TestInPlaceReuseRespectsAliases(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	a := nodes.Exp(x)
	view := nodes.Reshape(a, 3, 2)
	neg := nodes.Neg(a)              // a's last use, but view still holds its buffer
	twice := nodes.Neg(nodes.Neg(x)) // the inner result may be overwritten
	p, err := exec.Compile([]*graph.Node{view, neg, twice})
	require.NoError(t, err)
	in := seq(tensor.Float64, 2, 3)
	out, err := p.Run(map[string]*tensor.Dense{"x": in})
	require.NoError(t, err)
	for k, v := range in.Float64s() {
		assert.InDelta(t, math.Exp(v), out[0].Float64s()[k], 1e-12)
		assert.InDelta(t, -math.Exp(v), out[1].Float64s()[k], 1e-12)
		assert.Equal(t, v, out[2].Float64s()[k])
	}
	assert.Equal(t, seq(tensor.Float64, 2, 3).Float64s(), in.Float64s(), "the feed is untouched")
}

// The CPU softmax agrees with the reference on the edge cases: huge values,
// -Inf entries, a whole -Inf row, +Inf and NaN.
func TestSoftmaxEdgeCasesMatchReference(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	rows := [][]float32{
		{1000, 1000, 999, -1000, 3, 0, 0, 0, 1},
		{-inf, 0, 1, 2, 3, 4, 5, 6, 7},
		{-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf},
		{inf, 0, 1, 2, 3, 4, 5, 6, 7},
		{nan, 0, 1, 2, 3, 4, 5, 6, 7},
	}
	var data []float32
	for _, r := range rows {
		data = append(data, r...)
	}
	g := graph.New()
	x := g.Input("x", tensor.Float32, len(rows), 9)
	r := g.Axis("r", 0)
	y := vmap.For(r).Do(func() *graph.Node { return nodes.Softmax(x.At(r, graph.All)) })
	feeds := map[string]*tensor.Dense{"x": tensor.New(tensor.WithShape(len(rows), 9), tensor.WithBacking(data))}
	var outs [2][]float32
	for k, opt := range []exec.Option{exec.Reference(), exec.OnCPU()} {
		p, err := exec.Compile([]*graph.Node{y}, opt)
		require.NoError(t, err)
		out, err := p.Run(feeds)
		require.NoError(t, err)
		outs[k] = out[0].Float32s()
	}
	for k := range outs[0] {
		w, g := float64(outs[0][k]), float64(outs[1][k])
		if math.IsNaN(w) {
			assert.True(t, math.IsNaN(g), "element %d: %v, want NaN", k, g)
			continue
		}
		assert.InDelta(t, w, g, 1e-6, "element %d", k)
	}
}
