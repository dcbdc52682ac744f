package nodes_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

var brDTypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

func TestMatMulBatch(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	forms := map[string][2][]int{
		"mm": {{2, 3}, {3, 4}},
		"mv": {{2, 3}, {3}},
		"vm": {{3}, {3, 4}},
		"vv": {{3}, {3}},
	}
	for _, dt := range brDTypes {
		for name, f := range forms {
			t.Run(fmt.Sprintf("%v/%s", dt, name), func(t *testing.T) {
				gens := []brGen{brRandom(r, dt, f[0]...), brRandom(r, dt, f[1]...)}
				brCheckAll(t, func(x ...*graph.Node) *graph.Node { return nodes.MatMul(x[0], x[1]) }, gens, 3, true)
			})
		}
	}
	t.Run("int64", func(t *testing.T) {
		gen := func(shape ...int) brGen {
			return func() *tensor.Dense {
				v := laRandom(r, shape...)
				for k := range v {
					v[k] = float64(int(v[k] * 10))
				}
				return dense.FromF64(tensor.Int64, shape, v)
			}
		}
		brCheckAll(t, func(x ...*graph.Node) *graph.Node { return nodes.MatMul(x[0], x[1]) }, []brGen{gen(2, 3), gen(3, 4)}, 2, false)
	})
}

// The sharing cases lower to one 2-D product or one batched GEMM, moving no
// data where the batch folds into m or n.
func TestMatMulBatchForms(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	f64 := tensor.Float64
	mat, vec := brRandom(r, f64, 2, 3), brRandom(r, f64, 3)
	matB := brRandom(r, f64, 3, 4)
	mm := func(x ...*graph.Node) *graph.Node { return nodes.MatMul(x[0], x[1]) }
	cases := []struct {
		name  string
		gens  []brGen
		bdims []int
		op    string // the one product
		bd    int
	}{
		{"a[B,m,k]·b", []brGen{mat, matB}, []int{0, -1}, "MatMul", 0},
		{"a[m,B,k]·b", []brGen{mat, matB}, []int{1, -1}, "MatMul", 1},
		{"a[m,k,B]·b", []brGen{mat, matB}, []int{2, -1}, "BatchMatMul", 2},
		{"a[m,k,B]·v", []brGen{mat, vec}, []int{2, -1}, "BatchMatMul", 1},
		{"a[k,B]·b", []brGen{vec, matB}, []int{1, -1}, "BatchMatMul", 0},
		{"a·b[k,B,n]", []brGen{mat, matB}, []int{-1, 1}, "MatMul", 1},
		{"a·b[k,n,B]", []brGen{mat, matB}, []int{-1, 2}, "MatMul", 2},
		{"a·b[B,k,n]", []brGen{mat, matB}, []int{-1, 0}, "BatchMatMul", 0},
		{"a·v[B,k]", []brGen{mat, vec}, []int{-1, 0}, "BatchMatMul", 0},
		{"a·v[k,B]", []brGen{mat, vec}, []int{-1, 1}, "MatMul", 1},
		{"v·v[B,k]", []brGen{vec, vec}, []int{-1, 0}, "MatMul", 0},
		{"v·b[k,B,n]", []brGen{vec, matB}, []int{-1, 1}, "MatMul", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vals := []*tensor.Dense{brOperand(c.gens[0], 5, c.bdims[0]), brOperand(c.gens[1], 5, c.bdims[1])}
			out, bd := brRule(t, mm, vals, c.bdims)
			ops := brOps(out)
			assert.Equal(t, c.bd, bd)
			assert.Equal(t, 1, ops[c.op], "%v", ops)
			assert.Equal(t, 1, ops["MatMul"]+ops["BatchMatMul"], "%v", ops)
			assert.Zero(t, ops["Transpose"]+ops["Broadcast"], "%v", ops)
			checkBatch(t, mm, vals, c.bdims)
		})
	}
}

func TestMatMulBatchLabels(t *testing.T) {
	g := graph.New()
	a, b := g.Input("a", tensor.Float64, 5, 2, 3), g.Input("b", tensor.Float64, 3, 4)
	s := g.Axis("s", 0)
	x := g.Loop(s, func() *graph.Node { return a.At(graph.All, s, graph.All) }) // [s=2 5 3]
	y, bd, err := (&nodes.MatMulOp{}).Batch([]*graph.Node{x, b}, []int{1, -1})
	require.NoError(t, err)
	assert.Equal(t, 1, bd)
	assert.Equal(t, "[s=2 5 4]", y.Type().Dims())
	y, bd, err = (&nodes.MatMulOp{}).Batch([]*graph.Node{g.Input("c", tensor.Float64, 4, 5), x}, []int{-1, 0})
	require.NoError(t, err)
	assert.Equal(t, 0, bd)
	assert.Equal(t, "[s=2 4 3]", y.Type().Dims())
}

func TestOuterBatch(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	outer := func(x ...*graph.Node) *graph.Node { return nodes.Outer(x[0], x[1]) }
	for _, dt := range brDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			brCheckAll(t, outer, []brGen{brRandom(r, dt, 2), brRandom(r, dt, 3)}, 4, true)
		})
	}
	for _, bdims := range [][]int{{0, -1}, {1, -1}, {-1, 1}} {
		vals := []*tensor.Dense{brOperand(brRandom(r, tensor.Float64, 2), 4, bdims[0]), brOperand(brRandom(r, tensor.Float64, 3), 4, bdims[1])}
		out, _ := brRule(t, outer, vals, bdims)
		ops := brOps(out)
		assert.Equal(t, 1, ops["MatMul"], "%v: %v", bdims, ops)
		assert.Zero(t, ops["Transpose"]+ops["BatchMatMul"], "%v: %v", bdims, ops)
	}
}

func TestTBatch(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	for _, dt := range brDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			brCheckAll(t, func(x ...*graph.Node) *graph.Node { return nodes.T(x[0]) }, []brGen{brRandom(r, dt, 2, 3)}, 3, true)
			brCheckAll(t, func(x ...*graph.Node) *graph.Node { return nodes.Transpose(x[0], 2, 0, 1) }, []brGen{brRandom(r, dt, 2, 3, 4)}, 2, true)
		})
	}
}

func TestBatchMatMul(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64} {
		for _, c := range []struct {
			a, b   []int
			ta, tb bool
			out    []int
		}{
			{[]int{2, 3}, []int{3, 4}, false, false, []int{2, 4}},
			{[]int{3, 2}, []int{3, 4}, true, false, []int{2, 4}},
			{[]int{2, 3}, []int{4, 3}, false, true, []int{2, 4}},
			{[]int{3, 2}, []int{4, 3}, true, true, []int{2, 4}},
			{[]int{5, 2, 3}, []int{5, 3, 4}, false, false, []int{5, 2, 4}},
			{[]int{1, 2, 3}, []int{5, 3, 4}, false, false, []int{5, 2, 4}},
			{[]int{5, 3, 2}, []int{1, 4, 3}, true, true, []int{5, 2, 4}},
			{[]int{2, 1, 2, 3}, []int{1, 3, 4, 3}, false, true, []int{2, 3, 2, 4}},
			{[]int{0, 2, 3}, []int{1, 3, 4}, false, false, []int{0, 2, 4}},
			{[]int{2, 2, 0}, []int{2, 0, 4}, false, false, []int{2, 2, 4}},
		} {
			t.Run(fmt.Sprintf("%v/%v%v×%v%v", dt, c.a, c.ta, c.b, c.tb), func(t *testing.T) {
				av := dense.FromF64(dt, c.a, brInts(r, c.a))
				bv := dense.FromF64(dt, c.b, brInts(r, c.b))
				g := graph.New()
				a, b := g.Input("a", dt, c.a...), g.Input("b", dt, c.b...)
				y := nodes.BatchMatMul(a, b, c.ta, c.tb)
				require.NoError(t, g.Err())
				assert.Equal(t, c.out, y.Shape())
				got := evalRef(t, map[*graph.Node]*tensor.Dense{a: av, b: bv}, y)[0]
				laCheckType(t, y, got)
				// The reference: the natural MatMul of each pair of matrices.
				nb := len(c.out) - 2
				want := brLoopBatch(t, nb, av, bv, func(ga, gb *graph.Node) *graph.Node {
					if c.ta {
						ga = nodes.T(ga)
					}
					if c.tb {
						gb = nodes.T(gb)
					}
					return nodes.MatMul(ga, gb)
				})
				laClose(t, want, got, 0)
			})
		}
	}
}

// brInts is small integers as float64s, exact in every dtype.
func brInts(r *rand.Rand, shape []int) []float64 {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = float64(r.Intn(9) - 4)
	}
	return v
}

// brLoopBatch evaluates f on each pair of matrices of the stacks a and b
// (nb batch dims, size-1 dims repeated) and concatenates the results.
func brLoopBatch(t *testing.T, nb int, a, b *tensor.Dense, f func(a, b *graph.Node) *graph.Node) []float64 {
	t.Helper()
	sa, sb := dense.Shape(a), dense.Shape(b)
	if nb == 0 {
		g := graph.New()
		ga, gb := g.Input("a", a.Dtype(), sa...), g.Input("b", b.Dtype(), sb...)
		return dense.F64(evalRef(t, map[*graph.Node]*tensor.Dense{ga: a, gb: b}, f(ga, gb))[0])
	}
	n := max(sa[0], sb[0])
	if sa[0] == 0 || sb[0] == 0 {
		n = 0
	}
	var out []float64
	for i := 0; i < n; i++ {
		out = append(out, brLoopBatch(t, nb-1, dense.Take(a, 0, min(i, sa[0]-1)), dense.Take(b, 0, min(i, sb[0]-1)), f)...)
	}
	return out
}

func TestBatchMatMulBatch(t *testing.T) {
	r := rand.New(rand.NewSource(16))
	for _, dt := range brDTypes {
		for _, c := range []struct {
			a, b   []int
			ta, tb bool
		}{
			{[]int{2, 3}, []int{3, 4}, false, false},
			{[]int{3, 2}, []int{4, 3}, true, true},
			{[]int{2, 2, 3}, []int{1, 3, 4}, false, false},
			{[]int{1, 3, 2}, []int{2, 3, 4}, true, false},
		} {
			t.Run(fmt.Sprintf("%v/%v%v×%v%v", dt, c.a, c.ta, c.b, c.tb), func(t *testing.T) {
				build := func(x ...*graph.Node) *graph.Node { return nodes.BatchMatMul(x[0], x[1], c.ta, c.tb) }
				brCheckAll(t, build, []brGen{brRandom(r, dt, c.a...), brRandom(r, dt, c.b...)}, 3, true)
			})
		}
	}
}

func TestBatchMatMulErrors(t *testing.T) {
	f64 := tensor.Float64
	cases := []struct {
		name  string
		a, b  []int
		ta    bool
		wants []string
	}{
		{"nb mismatch", []int{2, 2, 3}, []int{3, 4}, false, []string{"same number of batch dims", "[2 2 3] × [3 4]"}},
		{"vector", []int{3}, []int{3}, false, []string{"[3] × [3]"}},
		{"bad broadcast", []int{2, 2, 3}, []int{3, 3, 4}, false, []string{"batch dim 0 differs", "[2 2 3]", "[3 3 4]", "equal or 1"}},
		{"inner", []int{3, 2}, []int{2, 4}, true, []string{"inner dims differ", "[3 2]ᵀ × [2 4]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			laBuildErr(t, "batch_linalg_test.go", "BatchMatMul", func(g *graph.Graph) *graph.Node {
				return nodes.BatchMatMul(g.Input("a", f64, c.a...), g.Input("b", f64, c.b...), c.ta, false)
			}, c.wants...)
		})
	}
	laBuildErr(t, "batch_linalg_test.go", "BatchMatMul", func(g *graph.Graph) *graph.Node {
		return nodes.BatchMatMul(g.Input("a", f64, 2, 3), g.Input("b", tensor.Float32, 3, 4), false, false)
	}, "dtypes differ")

	g := graph.New()
	y := nodes.BatchMatMul(g.Input("a", f64, 2, 3), g.Input("b", f64, 4, 3), false, true)
	require.NoError(t, g.Err())
	assert.Equal(t, "transB", y.Op().(interface{ Attrs() string }).Attrs())
	assert.Contains(t, graph.Format(y), "BatchMatMul(transB)")
}
