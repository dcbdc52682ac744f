package cuda

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// ids draws n int64 rows below size, crowded onto a few so that rows
// repeat (several updates into one row).
func ids(r *rand.Rand, size int, shape ...int) *tensor.Dense {
	v := make([]int64, dense.Size(shape))
	for k := range v {
		v[k] = int64(r.Intn(max(1, size/2)))
		if k%3 == 0 {
			v[k] = int64(size - 1)
		}
	}
	return dense.FromI64(shape, v)
}

// devRunner optimizes programs and runs them on the emulated device with
// no host fallback, failing where any op would need one.
func devRunner(t *testing.T, e *engine) optest.Runner {
	t.Helper()
	t.Setenv("LOOM_CUDA_HOST", "0")
	return runner(e, nil, nil)
}

// devRun runs outs once that way.
func devRun(t *testing.T, e *engine, outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
	t.Helper()
	return devRunner(t, e)(outs, feeds)
}

// Scatter, Unselect and Einsum on the emulated device against the
// reference: bitwise for Scatter and Einsum (each output element is the
// reference's double sum in the reference's order) and for Unselect.
func TestEmuScatter(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	em := newEmu(t)
	e := newEngine(em)
	r := rand.New(rand.NewSource(7))
	check := func(name string, out *graph.Node, feeds map[string]*tensor.Dense) {
		t.Run(name, func(t *testing.T) {
			if err := out.Graph().Err(); err != nil {
				t.Fatal(err)
			}
			matches(t, name, devRunner(t, e), []*graph.Node{out}, feeds, 0)
		})
	}
	scatter := func(op *graph.Scatter, dt tensor.Dtype, vs, is []int) {
		g := graph.New()
		v := g.Input("v", dt, vs...)
		i := g.Input("i", tensor.Int64, is...)
		check(op.Attrs()+" "+dt.String(), graph.Apply(op, v, i), map[string]*tensor.Dense{
			"v": rnd(r, dt, vs...), "i": ids(r, op.Size, is...)})
	}
	// Groups of more than directMax entries are sorted, fewer read
	// directly; both ways for each layout.
	// An embedding's gradient: 40 rows of 24 into a table of 9.
	scatter(&graph.Scatter{Dim: 0, Size: 9}, tensor.Float32, []int{40, 24}, []int{40})
	scatter(&graph.Scatter{Dim: 0, Size: 9}, tensor.Float64, []int{40, 24}, []int{40})
	scatter(&graph.Scatter{Dim: 0, Size: 9}, tensor.Float32, []int{12, 24}, []int{12})
	// Gather's transpose: a scalar index, one slice.
	scatter(&graph.Scatter{Dim: 1, Size: 5}, tensor.Float64, []int{3, 4}, nil)
	// Two index dims in the middle, dims either side.
	scatter(&graph.Scatter{Dim: 1, Size: 6}, tensor.Float32, []int{3, 2, 5, 4}, []int{2, 5})
	scatter(&graph.Scatter{Dim: 1, Size: 6}, tensor.Float64, []int{3, 4, 5, 2}, []int{4, 5})
	// Paired dims before and after the row dim, one unpaired between;
	// cross-entropy's gradient (one entry per group).
	scatter(&graph.Scatter{Dim: 1, Size: 4, Pairs: []int{0}}, tensor.Float64, []int{3, 7, 5}, []int{3, 7})
	scatter(&graph.Scatter{Dim: 1, Size: 4, Pairs: []int{0}}, tensor.Float32, []int{3, 19, 5}, []int{3, 19})
	scatter(&graph.Scatter{Dim: 1, Size: 4, Pairs: []int{3, 0}}, tensor.Float32, []int{3, 6, 2, 5}, []int{5, 3, 6})
	scatter(&graph.Scatter{Dim: 1, Size: 4, Pairs: []int{3, 0}}, tensor.Float64, []int{3, 17, 2, 5}, []int{5, 3, 17})
	scatter(&graph.Scatter{Dim: 2, Size: 11, Pairs: []int{0, 1}}, tensor.Float32, []int{3, 6}, []int{3, 6})
	scatter(&graph.Scatter{Dim: 0, Size: 3}, tensor.Int64, []int{10, 2}, []int{10})
	scatter(&graph.Scatter{Dim: 0, Size: 3}, tensor.Int64, []int{20, 2}, []int{20})
	// One row named by every entry: one thread's long loop, in order.
	{
		g := graph.New()
		v := g.Input("v", tensor.Float32, 301, 3)
		i := g.Input("i", tensor.Int64, 301)
		check("one-row", graph.Apply(&graph.Scatter{Dim: 0, Size: 4}, v, i), map[string]*tensor.Dense{
			"v": rnd(r, tensor.Float32, 301, 3), "i": dense.FromI64([]int{301}, make([]int64, 301))})
	}
	// Empty index list: a zero table.
	{
		g := graph.New()
		v := g.Input("v", tensor.Float32, 0, 5)
		i := g.Input("i", tensor.Int64, 0)
		check("empty-index", graph.Apply(&graph.Scatter{Dim: 0, Size: 4}, v, i), map[string]*tensor.Dense{
			"v": dense.Zeros(tensor.Float32, []int{0, 5}), "i": dense.FromI64([]int{0}, nil)})
	}
	for _, c := range []struct {
		n   int
		bad int64
	}{{6, -1}, {6, 9}, {30, -1}, {30, 9}} {
		t.Run("out-of-range", func(t *testing.T) {
			bad := c.bad
			g := graph.New()
			v := g.Input("v", tensor.Float32, c.n, 2)
			i := g.Input("i", tensor.Int64, c.n)
			iv := make([]int64, c.n)
			iv[3], iv[4], iv[c.n-1] = bad, 20, -5 // the first bad entry is reported
			_, err := devRun(t, e, []*graph.Node{graph.Apply(&graph.Scatter{Dim: 0, Size: 9}, v, i)},
				map[string]*tensor.Dense{"v": rnd(r, tensor.Float32, c.n, 2), "i": dense.FromI64([]int{c.n}, iv)})
			var ie *graph.IndexError
			if !errors.As(err, &ie) || ie.Index != bad || ie.Size != 9 {
				t.Fatalf("got %v, want an IndexError for index %d of 9", err, bad)
			}
		})
	}
	// Unselect: a strided slice, a dropped dim and a kept one.
	{
		g := graph.New()
		x := g.Input("x", tensor.Float64, 2, 4)
		op := &graph.Unselect{Shape: []int{7, 3, 4}, Sels: []graph.Sel{{S: graph.Span(1, 5, 2)}, {Drop: true, I: 2}, {Keep: true}}}
		check("unselect", graph.Apply(op, x), map[string]*tensor.Dense{"x": rnd(r, tensor.Float64, 2, 4)})
		b := g.Input("b", tensor.Bool, 3)
		op = &graph.Unselect{Shape: []int{2, 5}, Sels: []graph.Sel{{Drop: true, I: 1}, {S: graph.Span(2, 5, 1)}}}
		check("unselect-bool", graph.Apply(op, b), map[string]*tensor.Dense{"b": dense.FromBools([]int{3}, []bool{true, false, true})})
	}
	// Einsums the contract pass leaves alone.
	for _, c := range []struct {
		spec   string
		dt     tensor.Dtype
		shapes [][]int
	}{
		{"ii->i", tensor.Float64, [][]int{{5, 5}}},
		{"ij->", tensor.Float32, [][]int{{7, 9}}},
		{"iij->ji", tensor.Float32, [][]int{{4, 4, 3}}},
		{"ijk->kj", tensor.Float64, [][]int{{3, 4, 5}}},
		{"ii,ij->j", tensor.Float64, [][]int{{4, 4}, {4, 6}}},
		{"aab,bc,ca->b", tensor.Float32, [][]int{{3, 3, 5}, {5, 2}, {2, 3}}},
	} {
		g := graph.New()
		f := map[string]*tensor.Dense{}
		var xs []*graph.Node
		for k, s := range c.shapes {
			name := string(rune('a' + k))
			xs = append(xs, g.Input(name, c.dt, s...))
			f[name] = rnd(r, c.dt, s...)
		}
		check("einsum "+c.spec, nodes.Einsum(c.spec, xs...), f)
	}
	t.Logf("%d kernel launches", em.launches)
}

// The gradient of an embedding read inside loops over a batch and a
// sequence is a Scatter (after the optimizer's sumScatter) on the device,
// equal to the reference's.
func TestEmuEmbeddingGrad(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	e := newEngine(newEmu(t))
	r := rand.New(rand.NewSource(8))
	const batch, seq, vocab, d = 3, 5, 7, 6
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		g := graph.New()
		table := g.Input("table", dt, vocab, d)
		w := g.Input("w", dt, seq, d)
		tok := g.Input("tok", tensor.Int64, batch, seq)
		b, s := g.Axis("b", 0), g.Axis("s", 0)
		y := vmap.For(b, s).Do(func() *graph.Node {
			return nodes.Sum(nodes.Tanh(nodes.Mul(table.At(tok.At(b, s), graph.All), w.At(s, graph.All))))
		})
		grad := autodiff.Grad(nodes.Sum(y), table)[0]
		if err := g.Err(); err != nil {
			t.Fatal(err)
		}
		lowered := optimized(t, grad)
		scatters := 0
		for _, n := range graph.Needed(lowered) {
			if _, ok := n.Op().(*graph.Scatter); ok {
				scatters++
			}
		}
		if scatters == 0 {
			t.Fatalf("%v: the optimized gradient has no Scatter", dt)
		}
		f := map[string]*tensor.Dense{"table": rnd(r, dt, vocab, d), "w": rnd(r, dt, seq, d), "tok": ids(r, vocab, batch, seq)}
		want, err := refRunner([]*graph.Node{grad}, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := devRun(t, e, []*graph.Node{grad}, f)
		if err != nil {
			t.Fatal(err)
		}
		rel := 1e-12
		if dt == tensor.Float32 {
			rel = 1e-5
		}
		near(t, "grad "+dt.String(), got[0], want[0], rel)
	}
}

// The rank kernel puts each key's entries in index order whatever order
// the fill's atomics left them in: the scatter's determinism.
func TestEmuScatterRank(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	em := newEmu(t)
	e := newEngine(em)
	// 10 entries in 2 groups of 5, 3 rows: keys g·3 + row.
	idx := []int64{2, 0, 2, 2, 1, 0, 0, 1, 0, 2}
	ends := []int64{1, 2, 5, 8, 9, 10}            // keys 0..5 named 1, 1, 3, 3, 1, 1 times
	perm := []int64{1, 4, 3, 0, 2, 8, 6, 5, 7, 9} // each key's entries, shuffled
	up := func(v []int64) *Tensor {
		tt, err := e.put(dense.FromI64([]int{len(v)}, v))
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	ti, tc, tp, ts := up(idx), up(ends), up(perm), up(make([]int64, 10))
	sc := scatter{size: 3, isz: 5}
	if err := em.launch(sc.rank(ti.ptr(), tc.ptr(), tp.ptr(), ts.ptr(), 10, 2)); err != nil {
		t.Fatal(err)
	}
	h, err := e.get(ts)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 4, 0, 2, 3, 5, 6, 8, 7, 9}
	for k, v := range h.Int64s() {
		if v != want[k] {
			t.Fatalf("sorted = %v, want %v", h.Int64s(), want)
		}
	}
}

// scatterGoldens adds the scatter kernels and an einsum to the golden
// sources (gen_test.go), and so to the kernels NVRTC must compile.
func scatterGoldens(add func(name, src string, err error)) {
	add("scatter_count", scatterCount, nil)
	add("scatter_scan", scatterScan, nil)
	add("scatter_fill", scatterFill, nil)
	add("scatter_rank", scatterRank, nil)
	add("scatter_bad", scatterBad, nil)
	sc := planScatter(&graph.Scatter{Dim: 1, Size: 50, Pairs: []int{0}}, tensor.Float32, []int{4, 50, 16}, []int{4, 90, 16}, []int{4, 90})
	src, err := sc.addSource()
	add("scatter_add_f32", src, err)
	sc = planScatter(&graph.Scatter{Dim: 2, Size: 50, Pairs: []int{0, 1}}, tensor.Float32, []int{4, 6, 50}, []int{4, 6}, []int{4, 6})
	src, err = sc.addSource()
	add("scatter_add_direct_f32", src, err)
	src, err = scatter{dt: tensor.Float64, shape: []int{7}, vc: []int{0}, gc: []int{0}, rc: []int{1}}.addSource()
	add("scatter_add_f64_rows", src, err)
	e, err := planEinsum(&nodes.EinsumOp{Spec: "aab,bc,ca->b", Inputs: []string{"aab", "bc", "ca"}, Output: "b"}, tensor.Float32, [][]int{{3, 3, 5}, {5, 2}, {2, 3}})
	if err == nil {
		src, err = e.Source()
	}
	add("einsum_3_f32", src, err)
	e, err = planEinsum(&nodes.EinsumOp{Spec: "ii->i", Inputs: []string{"ii"}, Output: "i"}, tensor.Float64, [][]int{{4, 4}})
	if err == nil {
		src, err = e.Source()
	}
	add("einsum_diag_f64", src, err)
}

// Beyond the kernels' limits Prepare says so (ErrNoKernel), naming the op.
func TestScatterEinsumLimits(t *testing.T) {
	g := graph.New()
	var xs []*graph.Node
	for k := range maxEinsumOps + 1 {
		xs = append(xs, g.Input(fmt.Sprint("x", k), tensor.Float32, 2))
	}
	many := nodes.Einsum("a,a,a,a,a,a,a,a,a->a", xs...)
	y := g.Input("y", tensor.Float64, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	wide := nodes.Einsum("abcdefghi->abcdefghi", y)
	b := g.Input("b", tensor.Bool, 4)
	i := g.Input("i", tensor.Int64, 4)
	boolScatter := graph.Apply(&graph.Scatter{Dim: 0, Size: 3}, b, i)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*graph.Node{many, wide, boolScatter} {
		_, err := newPlan(graph.Needed([]*graph.Node{n}), []*graph.Node{n}, false)
		if !errors.Is(err, ErrNoKernel) || !strings.Contains(err.Error(), n.Op().Name()) {
			t.Errorf("%s: got %v, want ErrNoKernel", n.Op().Name(), err)
		}
	}
}
