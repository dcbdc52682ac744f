package cuda

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

func rnd(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

// near fails unless got and want agree to rel·max(1, |want|), NaN to NaN.
func near(t *testing.T, what string, got, want *tensor.Dense, rel float64) {
	t.Helper()
	if !equalShapes(dense.Shape(got), dense.Shape(want)) || got.Dtype() != want.Dtype() {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.Dtype(), dense.Shape(got), want.Dtype(), dense.Shape(want))
	}
	g, w := dense.F64(got), dense.F64(want)
	for k := range g {
		if math.IsNaN(w[k]) && math.IsNaN(g[k]) || g[k] == w[k] {
			continue
		}
		if d := math.Abs(g[k] - w[k]); !(d <= rel*math.Max(1, math.Abs(w[k]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, k, g[k], w[k])
		}
	}
}

// matches fails unless run computes outs as the reference interpreter
// does, to rel·max(1, |want|).
func matches(t *testing.T, what string, run optest.Runner, outs []*graph.Node, feeds map[string]*tensor.Dense, rel float64) {
	t.Helper()
	want, err := refRunner(outs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := run(outs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	for k := range outs {
		near(t, what, got[k], want[k], rel)
	}
}

func equalShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// Programs covering every kernel family — fused chains and tails, GEMM
// epilogues, batched GEMMs with broadcast and permuted batch dims, layout
// changes, gathers, solves — and the edge values of softmax and
// reductions, on the emulated GPU against the reference interpreter.
func TestEmuPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	em := newEmu(t)
	run := runner(newEngine(em), nil, nil)
	r := rand.New(rand.NewSource(1))
	check := func(name string, rel float64, out *graph.Node, feeds map[string]*tensor.Dense) {
		t.Run(name, func(t *testing.T) {
			matches(t, name, run, []*graph.Node{out}, feeds, rel)
		})
	}
	{
		g := graph.New()
		xs := g.Input("x", tensor.Float32, 2, 8, 16)
		w := func(n string, d ...int) *graph.Node { return g.Input(n, tensor.Float32, d...) }
		y := mha.Batched(xs, w("wq", 3, 16, 4), w("wk", 3, 16, 4), w("wv", 3, 16, 4), w("wo", 3, 4, 4))
		f := map[string]*tensor.Dense{"x": rnd(r, tensor.Float32, 2, 8, 16), "wo": rnd(r, tensor.Float32, 3, 4, 4)}
		for _, n := range []string{"wq", "wk", "wv"} {
			f[n] = rnd(r, tensor.Float32, 3, 16, 4)
		}
		check("attention", 1e-4, y, f)
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float32, 1000)
		y := nodes.Scale(nodes.Exp(nodes.Offset(nodes.Scale(x, 0.5), 0.25)), 1.5)
		check("exp-affine", 1e-5, y, map[string]*tensor.Dense{"x": rnd(r, tensor.Float32, 1000)})
	}
	{
		g := graph.New()
		A := g.Input("A", tensor.Float64, 6, 4, 4)
		b := g.Input("b", tensor.Float64, 4)
		i := g.Axis("i", 0)
		y := vmap.For(i).Do(func() *graph.Node { return nodes.Solve(A.At(i, graph.All, graph.All), b) })
		a := rnd(r, tensor.Float64, 6, 4, 4)
		for s := 0; s < 6; s++ {
			for d := 0; d < 4; d++ {
				a.Float64s()[s*16+d*5] += 5
			}
		}
		check("solve-shared-rhs", 1e-10, y, map[string]*tensor.Dense{"A": a, "b": rnd(r, tensor.Float64, 4)})
	}
	{
		g := graph.New()
		A3 := g.Input("A3", tensor.Float32, 4, 6, 5)
		B := g.Input("B", tensor.Float32, 6, 3)
		C := g.Input("C", tensor.Float32, 4, 5)
		k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
		D := vmap.For(k, n).Do(func() *graph.Node {
			return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
				return nodes.Mul(nodes.Mul(A3.At(k, l, m), B.At(l, n)), C.At(k, m))
			}))
		})
		check("D[k,n]", 1e-4, D, map[string]*tensor.Dense{"A3": rnd(r, tensor.Float32, 4, 6, 5), "B": rnd(r, tensor.Float32, 6, 3), "C": rnd(r, tensor.Float32, 4, 5)})
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float64, 3, 300)
		row := g.Axis("row", 0)
		y := vmap.For(row).Do(func() *graph.Node {
			v := x.At(row, graph.All)
			return nodes.Stack(nodes.LogSumExp(v), nodes.Max(v), nodes.Min(v), nodes.Mean(v))
		})
		xv := rnd(r, tensor.Float64, 3, 300)
		xv.Float64s()[300+7] = math.NaN()  // row 1: NaN propagates
		xv.Float64s()[600+3] = math.Inf(1) // row 2: +Inf
		check("reductions-edge", 1e-12, y, map[string]*tensor.Dense{"x": xv})
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float32, 4, 40)
		row := g.Axis("row", 0)
		y := vmap.For(row).Do(func() *graph.Node { return nodes.Softmax(x.At(row, graph.All)) })
		xv := rnd(r, tensor.Float32, 4, 40)
		xv.Float32s()[40+5] = float32(math.Inf(1)) // row 1: shift by 0, NaN where +Inf
		for j := 0; j < 40; j++ {
			xv.Float32s()[80+j] = float32(math.Inf(-1)) // row 2: all -Inf gives NaN
		}
		check("softmax-edge", 1e-5, y, map[string]*tensor.Dense{"x": xv})
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float64, 7, 5)
		col := g.Axis("col", 0)
		y := vmap.For(col).Into(graph.All, col).Do(func() *graph.Node { return nodes.LogSoftmax(x.At(graph.All, col)) })
		check("logsoftmax-columns", 1e-12, y, map[string]*tensor.Dense{"x": rnd(r, tensor.Float64, 7, 5)})
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float64, 5, 4, 3)
		y := nodes.Concat(nodes.Ravel(nodes.Transpose(x, 2, 0, 1)), nodes.Ravel(x.At(graph.Span(1, 5, 2), 2, graph.All)))
		check("layout", 0, y, map[string]*tensor.Dense{"x": rnd(r, tensor.Float64, 5, 4, 3)})
	}
	{
		g := graph.New()
		x := g.Input("x", tensor.Float32, 0, 3)
		y := nodes.Sum(nodes.Exp(x))
		check("empty", 0, y, map[string]*tensor.Dense{"x": dense.Zeros(tensor.Float32, []int{0, 3})})
	}
	t.Run("gather-out-of-range", func(t *testing.T) {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 5, 3)
		i := g.Input("i", tensor.Int64)
		y := nodes.Exp(x.At(i, graph.All))
		_, err := run([]*graph.Node{y}, map[string]*tensor.Dense{"x": rnd(r, tensor.Float64, 5, 3), "i": dense.FromI64(nil, []int64{7})})
		var ie *graph.IndexError
		if !errors.As(err, &ie) || ie.Index != 7 || ie.Size != 5 {
			t.Fatalf("got %v, want an IndexError for index 7 of 5", err)
		}
	})
	t.Run("solve-singular", func(t *testing.T) {
		g := graph.New()
		A := g.Input("A", tensor.Float32, 3, 2, 2)
		b := g.Input("b", tensor.Float32, 3, 2)
		i := g.Axis("i", 0)
		y := vmap.For(i).Do(func() *graph.Node { return nodes.Solve(A.At(i, graph.All, graph.All), b.At(i, graph.All)) })
		a := dense.FromF64(tensor.Float32, []int{3, 2, 2}, []float64{2, 0, 0, 2, 1, 2, 2, 4, 1, 0, 0, 1})
		_, err := run([]*graph.Node{y}, map[string]*tensor.Dense{"A": a, "b": rnd(r, tensor.Float32, 3, 2)})
		if !errors.Is(err, nodes.ErrSingular) || !strings.Contains(err.Error(), "system [1]") {
			t.Fatalf("got %v, want system [1] singular", err)
		}
	})
	t.Logf("%d kernel launches", em.launches)
}

// Values put on the device stay there across Calls; outputs never alias
// inputs.
func TestEmuCall(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	b := newBackend(newEngine(newEmu(t)))
	g := graph.New()
	x := g.Input("x", tensor.Float64, 6)
	y := nodes.Reshape(x, 2, 3) // a view of the input: must come back as a copy
	z := nodes.Exp(x)
	order := graph.Needed([]*graph.Node{y, z})
	outs := []*graph.Node{y, z}
	h := rnd(rand.New(rand.NewSource(3)), tensor.Float64, 6)
	xd, err := b.Put(h)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		res, err := b.Call(order, outs, map[string]*Tensor{"x": xd})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].buf == xd.buf {
			t.Fatal("an output shares the input's buffer")
		}
		gy, _ := res[0].Dense()
		gz, _ := res[1].Dense()
		for i, v := range h.Float64s() {
			if gy.Float64s()[i] != v || math.Abs(gz.Float64s()[i]-math.Exp(v)) > 1e-12*math.Exp(v) {
				t.Fatalf("call %d element %d: %v, %v", k, i, gy.Float64s()[i], gz.Float64s()[i])
			}
		}
		res[0].Free()
		res[1].Free()
	}
	if _, err := b.Call(order, outs, map[string]*Tensor{}); err == nil || !strings.Contains(err.Error(), `"x" not fed`) {
		t.Fatalf("missing feed: %v", err)
	}
}

// Concurrent Runs of one program are serialized on the device and give
// bitwise-identical results.
func TestEmuConcurrentRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	b := newBackend(newEngine(newEmu(t)))
	g := graph.New()
	x := g.Input("x", tensor.Float32, 3, 40)
	row := g.Axis("row", 0)
	y := vmap.For(row).Do(func() *graph.Node { return nodes.Softmax(nodes.Scale(x.At(row, graph.All), 3)) })
	outs := optimized(t, y)
	order := graph.Needed(outs)
	h := rnd(rand.New(rand.NewSource(4)), tensor.Float32, 3, 40)
	res := make([][]float32, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for k := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := map[*graph.Node]*tensor.Dense{x: h}
			if errs[k] = b.Run(order, outs, env); errs[k] == nil {
				res[k] = env[outs[0]].Float32s()
			}
		}()
	}
	wg.Wait()
	for k := range res {
		if errs[k] != nil {
			t.Fatal(errs[k])
		}
		for i := range res[k] {
			if math.Float32bits(res[k][i]) != math.Float32bits(res[0][i]) {
				t.Fatalf("run %d differs at %d: %v vs %v", k, i, res[k][i], res[0][i])
			}
		}
	}
}
