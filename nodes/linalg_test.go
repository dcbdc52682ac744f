package nodes_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// laRandom returns uniform values in [-1, 1) for shape.
func laRandom(r *rand.Rand, shape ...int) []float64 {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = 2*r.Float64() - 1
	}
	return v
}

// laValue makes a tensor of dtype dt (values rounded once) and the float64
// values it actually holds.
func laValue(dt tensor.Dtype, shape []int, v []float64) (*tensor.Dense, []float64) {
	t := dense.FromF64(dt, shape, v)
	return t, dense.F64(t)
}

// laCheckType checks that a result matches its node's shape and dtype.
func laCheckType(t *testing.T, n *graph.Node, got *tensor.Dense) {
	t.Helper()
	assert.Equal(t, n.Shape(), dense.Shape(got), "shape")
	assert.Equal(t, n.DType(), got.Dtype(), "dtype")
}

// laTol is the comparison tolerance for a dtype.
func laTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-5
	}
	return 1e-12
}

// laClose compares got with want elementwise, relative to max(1, |want|).
func laClose(t *testing.T, want []float64, got *tensor.Dense, tol float64) {
	t.Helper()
	g := dense.F64(got)
	require.Len(t, g, len(want))
	for k := range want {
		scale := 1.0
		if a := want[k]; a > 1 || a < -1 {
			scale = max(a, -a)
		}
		if d := g[k] - want[k]; d > tol*scale || -d > tol*scale {
			t.Fatalf("element %d: got %v, want %v (tol %g)\ngot  %v\nwant %v", k, g[k], want[k], tol, g, want)
		}
	}
}

// laBuildErr builds a graph with build and checks that it records an error
// naming the test file, op and each of wants.
func laBuildErr(t *testing.T, file, op string, build func(g *graph.Graph) *graph.Node, wants ...string) {
	t.Helper()
	g := graph.New()
	n := build(g)
	require.Error(t, g.Err())
	require.Error(t, n.Err())
	msg := g.Err().Error()
	assert.Contains(t, msg, file+":")
	assert.Contains(t, msg, ": "+op+": ")
	for _, w := range wants {
		assert.Contains(t, msg, w)
	}
}

// laMat is v as an r×c gonum matrix (a copy).
func laMat(r, c int, v []float64) *mat.Dense {
	return mat.NewDense(r, c, append([]float64(nil), v...))
}

func laRaw(m mat.Matrix) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out = append(out, m.At(i, j))
		}
	}
	return out
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	cases := []struct {
		a, b, out []int
	}{
		{[]int{4}, []int{4}, []int{}},
		{[]int{3, 4}, []int{4}, []int{3}},
		{[]int{4}, []int{4, 2}, []int{2}},
		{[]int{3, 4}, []int{4, 2}, []int{3, 2}},
		{[]int{1, 1}, []int{1, 5}, []int{1, 5}},
		{[]int{3, 0}, []int{0, 2}, []int{3, 2}}, // empty inner dim: zeros
		{[]int{0, 4}, []int{4, 2}, []int{0, 2}},
		{[]int{0}, []int{0}, []int{}},
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%v×%v", dt, c.a, c.b), func(t *testing.T) {
				av, bv := laRandom(r, c.a...), laRandom(r, c.b...)
				if dt == tensor.Int64 {
					for k := range av {
						av[k] = float64(int(av[k] * 10))
					}
					for k := range bv {
						bv[k] = float64(int(bv[k] * 10))
					}
				}
				at, av := laValue(dt, c.a, av)
				bt, bv := laValue(dt, c.b, bv)
				g := graph.New()
				a, b := g.Input("a", dt, c.a...), g.Input("b", dt, c.b...)
				y := nodes.MatMul(a, b)
				require.NoError(t, g.Err())
				assert.Equal(t, c.out, y.Shape())
				got := evalRef(t, map[*graph.Node]*tensor.Dense{a: at, b: bt}, y)[0]
				laCheckType(t, y, got)
				// The product as gonum computes it, vectors as a row / column.
				m, k, n := 1, c.a[len(c.a)-1], 1
				if len(c.a) == 2 {
					m = c.a[0]
				}
				if len(c.b) == 2 {
					n = c.b[1]
				}
				want := make([]float64, m*n)
				if m > 0 && n > 0 && k > 0 {
					var p mat.Dense
					p.Mul(laMat(m, k, av), laMat(k, n, bv))
					want = laRaw(&p)
				}
				laClose(t, want, got, laTol(dt))
				// Inputs are untouched.
				assert.Equal(t, av, dense.F64(at))
			})
		}
	}
}

func TestMatMulLabels(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float64, 3, 4)
	v := g.Input("v", tensor.Float64, 4, 5)
	s := g.Axis("seq", 0)
	x := g.Loop(s, func() *graph.Node { return w.At(s, graph.All) }) // [seq=3 4]
	y := nodes.MatMul(x, v)
	require.NoError(t, g.Err())
	assert.Equal(t, []int{3, 5}, y.Shape())
	assert.Equal(t, "[seq=3 5]", y.Type().Dims())
	assert.Equal(t, "[5 seq=3]", nodes.T(y).Type().Dims())
	assert.Equal(t, "[seq=3 seq=3]", nodes.MatMul(y, nodes.T(y)).Type().Dims())

	bad := nodes.MatMul(x, g.Input("z", tensor.Float64, 32, 4))
	require.Error(t, bad.Err())
	require.Error(t, g.Err())
	// The exact format the design promises.
	assert.Regexp(t, `^linalg_test\.go:\d+: MatMul: inner dims differ: \[seq=3 4\] × \[32 4\]$`, g.Err().Error())
}

func TestLinalgErrors(t *testing.T) {
	in := func(g *graph.Graph, name string, dt tensor.Dtype, dims ...int) *graph.Node {
		return g.Input(name, dt, dims...)
	}
	f64 := tensor.Float64
	cases := []struct {
		name, op string
		build    func(g *graph.Graph) *graph.Node
		wants    []string
	}{
		{"inner", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", f64, 3, 4), in(g, "b", f64, 5, 2))
		}, []string{"inner dims differ", "[3 4] × [5 2]"}},
		{"vv", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", f64, 3), in(g, "b", f64, 4))
		}, []string{"[3] × [4]"}},
		{"3-D", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", f64, 2, 3, 4), in(g, "b", f64, 4, 5))
		}, []string{"1-D or 2-D", "[2 3 4] × [4 5]"}},
		{"scalar", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", f64), in(g, "b", f64, 4))
		}, []string{"1-D or 2-D", "[] × [4]"}},
		{"dtypes", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", f64, 2, 3), in(g, "b", tensor.Float32, 3, 4))
		}, []string{"dtypes differ", "f64[2 3]", "f32[3 4]"}},
		{"bool", "MatMul", func(g *graph.Graph) *graph.Node {
			return nodes.MatMul(in(g, "a", tensor.Bool, 2, 3), in(g, "b", tensor.Bool, 3, 4))
		}, []string{"bool[2 3]"}},
		{"T 3-D", "T", func(g *graph.Graph) *graph.Node {
			return nodes.T(in(g, "a", f64, 2, 3, 4))
		}, []string{"matrix", "[2 3 4]"}},
		{"T 1-D", "T", func(g *graph.Graph) *graph.Node {
			return nodes.T(in(g, "a", f64, 3))
		}, []string{"matrix", "[3]"}},
		{"Outer 2-D", "Outer", func(g *graph.Graph) *graph.Node {
			return nodes.Outer(in(g, "a", f64, 3), in(g, "b", f64, 2, 2))
		}, []string{"[3] ⊗ [2 2]"}},
		{"Outer dtypes", "Outer", func(g *graph.Graph) *graph.Node {
			return nodes.Outer(in(g, "a", f64, 3), in(g, "b", tensor.Int64, 2))
		}, []string{"dtypes differ", "i64[2]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "linalg_test.go", c.op, c.build, c.wants...) })
	}
}

func TestMatMulEvalBadFeed(t *testing.T) {
	// A feed that contradicts the declared shape is an error, not a panic.
	g := graph.New()
	a, b := g.Input("a", tensor.Float64, 2, 3), g.Input("b", tensor.Float64, 3)
	y := nodes.MatMul(a, b)
	_, err := tryEval(map[*graph.Node]*tensor.Dense{a: f64s([]int{2, 2}, 1, 2, 3, 4), b: f64s([]int{3}, 1, 2, 3)}, y)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "inner dims differ")
}

func TestT(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64, tensor.Bool} {
		t.Run(dt.String(), func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", dt, 2, 3)
			y := nodes.T(x)
			xv := dense.FromF64(dt, []int{2, 3}, []float64{1, 2, 3, 4, 0, 6})
			got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xv}, y)[0]
			laCheckType(t, y, got)
			assert.Equal(t, []int{3, 2}, y.Shape())
			assert.Equal(t, dense.F64(dense.FromF64(dt, []int{6}, []float64{1, 4, 2, 0, 3, 6})), dense.F64(got))
		})
	}
}

func TestOuter(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, mn := range [][2]int{{3, 4}, {1, 1}, {0, 3}, {2, 0}} {
			t.Run(fmt.Sprintf("%v/%v", dt, mn), func(t *testing.T) {
				m, n := mn[0], mn[1]
				at, av := laValue(dt, []int{m}, laRandom(r, m))
				bt, bv := laValue(dt, []int{n}, laRandom(r, n))
				g := graph.New()
				a, b := g.Input("a", dt, m), g.Input("b", dt, n)
				y := nodes.Outer(a, b)
				got := evalRef(t, map[*graph.Node]*tensor.Dense{a: at, b: bt}, y)[0]
				laCheckType(t, y, got)
				want := make([]float64, 0, m*n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						want = append(want, av[i]*bv[j])
					}
				}
				laClose(t, want, got, laTol(dt))
			})
		}
	}
	g := graph.New()
	a, b := g.Input("a", tensor.Int64, 2), g.Input("b", tensor.Int64, 3)
	y := nodes.Outer(a, b)
	got := evalRef(t, map[*graph.Node]*tensor.Dense{a: i64s([]int{2}, 2, -3), b: i64s([]int{3}, 1, 5, 7)}, y)[0]
	laCheckType(t, y, got)
	assert.Equal(t, []int64{2, 10, 14, -3, -15, -21}, got.Int64s())
}

func TestLinalgAttention(t *testing.T) {
	// The essay's attention core, built without loops: q·kᵀ then ·v.
	r := rand.New(rand.NewSource(3))
	g := graph.New()
	q, k, v := g.Input("q", tensor.Float32, 5, 4), g.Input("k", tensor.Float32, 5, 4), g.Input("v", tensor.Float32, 5, 3)
	y := nodes.MatMul(nodes.MatMul(q, nodes.T(k)), v)
	require.NoError(t, g.Err())
	qt, qv := laValue(tensor.Float32, []int{5, 4}, laRandom(r, 5, 4))
	kt, kv := laValue(tensor.Float32, []int{5, 4}, laRandom(r, 5, 4))
	vt, vv := laValue(tensor.Float32, []int{5, 3}, laRandom(r, 5, 3))
	got := evalRef(t, map[*graph.Node]*tensor.Dense{q: qt, k: kt, v: vt}, y)[0]
	laCheckType(t, y, got)
	var s, o mat.Dense
	s.Mul(laMat(5, 4, qv), laMat(5, 4, kv).T())
	o.Mul(&s, laMat(5, 3, vv))
	laClose(t, laRaw(&o), got, 1e-5)
}
