package nodes_test

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// brMatrix generates per-example square matrices from f (svWellCond, svSPD).
func brMatrix(r *rand.Rand, dt tensor.Dtype, n int, f func(*rand.Rand, int) []float64) brGen {
	return func() *tensor.Dense {
		t, _ := laValue(dt, []int{n, n}, f(r, n))
		return t
	}
}

// brStack generates stacks of nb-batched values: shape is the batch dims, gen
// one element of the stack.
func brStack(dt tensor.Dtype, shape []int, gen brGen) brGen {
	return func() *tensor.Dense {
		v := gen()
		ex := dense.Shape(v)
		var data []float64
		for i := 0; i < dense.Size(shape); i++ {
			data = append(data, dense.F64(v)...)
			v = gen()
		}
		return dense.FromF64(dt, append(append([]int{}, shape...), ex...), data)
	}
}

func TestSolveBatch(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	solve := func(x ...*graph.Node) *graph.Node { return nodes.Solve(x[0], x[1]) }
	for _, dt := range brDTypes {
		for _, b := range [][]int{{3}, {3, 2}} {
			t.Run(fmt.Sprintf("%v/%v", dt, b), func(t *testing.T) {
				brCheckAll(t, solve, []brGen{brMatrix(r, dt, 3, svWellCond), brRandom(r, dt, b...)}, 3, true)
			})
		}
	}
	// A shared: the right-hand sides of the batch fold into one Solve.
	for _, c := range []struct {
		b     []int
		bd    int
		outBd int
	}{{[]int{3}, 0, 1}, {[]int{3}, 1, 1}, {[]int{3, 2}, 0, 1}, {[]int{3, 2}, 1, 1}, {[]int{3, 2}, 2, 2}} {
		vals := []*tensor.Dense{brMatrix(r, tensor.Float64, 3, svWellCond)(), brOperand(brRandom(r, tensor.Float64, c.b...), 4, c.bd)}
		out, bd := brRule(t, solve, vals, []int{-1, c.bd})
		ops := brOps(out)
		assert.Equal(t, c.outBd, bd, "%v bd %d", c.b, c.bd)
		assert.Equal(t, 1, ops["Solve"], "%v bd %d: %v", c.b, c.bd, ops)
		assert.Zero(t, ops["Broadcast"], "%v bd %d: %v", c.b, c.bd, ops)
		for _, n := range graph.Needed([]*graph.Node{out}) {
			if op, ok := n.Op().(*nodes.SolveOp); ok {
				assert.Zero(t, op.NB, "one natural Solve")
			}
		}
	}
}

func TestSolveNB(t *testing.T) {
	r := rand.New(rand.NewSource(22))
	for _, dt := range brDTypes {
		for _, c := range []struct {
			nb   int
			a, b []int // batch dims
			rhs  []int // per-system right-hand side
		}{
			{1, []int{3}, []int{3}, []int{2}},
			{1, []int{3}, []int{1}, []int{2, 2}},
			{1, []int{1}, []int{4}, []int{2}},
			{2, []int{2, 1}, []int{1, 3}, []int{2, 3}},
			{1, []int{0}, []int{1}, []int{2}},
		} {
			t.Run(fmt.Sprintf("%v/%+v", dt, c), func(t *testing.T) {
				av := brStack(dt, c.a, brMatrix(r, dt, 2, svWellCond))()
				bv := brStack(dt, c.b, brRandom(r, dt, c.rhs...))()
				g := graph.New()
				A, b := g.Input("A", dt, dense.Shape(av)...), g.Input("b", dt, dense.Shape(bv)...)
				y := graph.Apply(&nodes.SolveOp{NB: c.nb}, A, b)
				require.NoError(t, g.Err())
				got := evalRef(t, map[*graph.Node]*tensor.Dense{A: av, b: bv}, y)[0]
				laCheckType(t, y, got)
				want := brLoopBatch(t, c.nb, av, bv, nodes.Solve)
				laClose(t, want, got, laTol(dt))
			})
		}
	}
	// The lifted forms lift again.
	solve1 := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.SolveOp{NB: 1}, x...) }
	A := brStack(tensor.Float64, []int{2}, brMatrix(r, tensor.Float64, 2, svWellCond))
	brCheckAll(t, solve1, []brGen{A, brRandom(r, tensor.Float64, 1, 2)}, 2, true)
	brCheckAll(t, solve1, []brGen{A, brRandom(r, tensor.Float64, 2, 2, 3)}, 2, false)
}

func TestSolveNBErrors(t *testing.T) {
	f64 := tensor.Float64
	solve := func(nb int, a, b []int) func(g *graph.Graph) *graph.Node {
		return func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.SolveOp{NB: nb}, g.Input("A", f64, a...), g.Input("b", f64, b...))
		}
	}
	cases := []struct {
		name, op string
		build    func(g *graph.Graph) *graph.Node
		wants    []string
	}{
		{"A rank", "Solve", solve(1, []int{3, 3}, []int{3, 3}), []string{"1 batch dims", "[3 3]"}},
		{"b rank", "Solve", solve(1, []int{2, 3, 3}, []int{3}), []string{"[3]", "[2 3 3]", "want [2 3] or [2 3 k]"}},
		{"b too big", "Solve", solve(1, []int{2, 3, 3}, []int{2, 3, 1, 1}), []string{"[2 3 1 1]"}},
		{"broadcast", "Solve", solve(1, []int{2, 3, 3}, []int{4, 3}), []string{"batch dim 0 differs", "[2 3 3]", "[4 3]"}},
		{"negative", "Solve", solve(-1, []int{3, 3}, []int{3}), []string{"negative"}},
		{"Inv rank", "Inv", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.InvOp{NB: 2}, g.Input("A", f64, 2, 3, 3))
		}, []string{"2 batch dims", "[2 3 3]"}},
		{"Cholesky square", "Cholesky", func(g *graph.Graph) *graph.Node {
			return graph.Apply(&nodes.CholeskyOp{NB: 1}, g.Input("A", f64, 2, 3, 2))
		}, []string{"square", "[2 3 2]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "batch_solve_test.go", c.op, c.build, c.wants...) })
	}
}

// A failing system of a stack is named by its batch index.
func TestSolveNBRunErrors(t *testing.T) {
	eye, singular := []float64{1, 0, 0, 1}, []float64{1, 2, 2, 4}
	stack := func(ms ...[]float64) *tensor.Dense {
		var v []float64
		for _, m := range ms {
			v = append(v, m...)
		}
		return f64s([]int{len(ms) / 2, 2, 2, 2}, v...)
	}
	A := stack(eye, eye, eye, singular) // [2 2 2 2]: system [1 1] fails
	for _, c := range []struct {
		name string
		op   graph.Op
		is   error
		b    bool
	}{
		{"Solve", &nodes.SolveOp{NB: 2}, nodes.ErrSingular, true},
		{"Inv", &nodes.InvOp{NB: 2}, nodes.ErrSingular, false},
		{"Cholesky", &nodes.CholeskyOp{NB: 2}, nodes.ErrNotPositiveDefinite, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			a := g.Input("A", tensor.Float64, 2, 2, 2, 2)
			feeds := map[*graph.Node]*tensor.Dense{a: A}
			in := []*graph.Node{a}
			if c.b {
				b := g.Input("b", tensor.Float64, 1, 1, 2)
				feeds[b] = f64s([]int{1, 1, 2}, 1, 1)
				in = append(in, b)
			}
			y := graph.Apply(c.op, in...)
			require.NoError(t, g.Err())
			_, err := tryEval(feeds, y)
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.is), "%v", err)
			assert.Contains(t, err.Error(), "system [1 1]")
		})
	}
}

func TestInvCholeskyBatch(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	inv := func(x ...*graph.Node) *graph.Node { return nodes.Inv(x[0]) }
	chol := func(x ...*graph.Node) *graph.Node { return nodes.Cholesky(x[0]) }
	for _, dt := range brDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			brCheckAll(t, inv, []brGen{brMatrix(r, dt, 3, svWellCond)}, 3, true)
			brCheckAll(t, chol, []brGen{brMatrix(r, dt, 3, svSPD)}, 3, true)
		})
	}
	// NB forms against the natural op, and lifted again.
	for _, c := range []struct {
		name string
		nat  func(*graph.Node) *graph.Node
		op   graph.Op
		f    func(*rand.Rand, int) []float64
	}{
		{"Inv", nodes.Inv, &nodes.InvOp{NB: 1}, svWellCond},
		{"Cholesky", nodes.Cholesky, &nodes.CholeskyOp{NB: 1}, svSPD},
	} {
		t.Run(c.name, func(t *testing.T) {
			av := brStack(tensor.Float64, []int{3}, brMatrix(r, tensor.Float64, 3, c.f))()
			g := graph.New()
			a := g.Input("A", tensor.Float64, 3, 3, 3)
			y := graph.Apply(c.op, a)
			require.NoError(t, g.Err())
			assert.Equal(t, "nb 1", c.op.(interface{ Attrs() string }).Attrs())
			got := evalRef(t, map[*graph.Node]*tensor.Dense{a: av}, y)[0]
			want := brLoopBatch(t, 1, av, av, func(x, _ *graph.Node) *graph.Node { return c.nat(x) })
			laClose(t, want, got, 1e-12)
			brCheckAll(t, func(x ...*graph.Node) *graph.Node { return graph.Apply(c.op, x...) },
				[]brGen{brStack(tensor.Float64, []int{2}, brMatrix(r, tensor.Float64, 2, c.f))}, 2, true)
		})
	}
}

func TestEinsumBatch(t *testing.T) {
	r := rand.New(rand.NewSource(24))
	for _, dt := range brDTypes {
		for _, c := range []struct {
			spec   string
			shapes [][]int
		}{
			{"ij,jk->ik", [][]int{{2, 3}, {3, 4}}},
			{"ii->i", [][]int{{3, 3}}},
			{"ij->", [][]int{{2, 3}}},
			{"i,i", [][]int{{3}, {3}}},
			{"bij,bjk->bik", [][]int{{2, 2, 3}, {2, 3, 2}}},
			{"ij,jk,kl->il", [][]int{{2, 2}, {2, 3}, {3, 2}}},
		} {
			t.Run(fmt.Sprintf("%v/%s", dt, c.spec), func(t *testing.T) {
				gens := make([]brGen, len(c.shapes))
				for k, s := range c.shapes {
					gens[k] = brRandom(r, dt, s...)
				}
				es := func(x ...*graph.Node) *graph.Node { return nodes.Einsum(c.spec, x...) }
				brCheckAll(t, es, gens, 2, true)
			})
		}
	}
	g := graph.New()
	a, b := g.Input("a", tensor.Float64, 2, 3), g.Input("b", tensor.Float64, 3, 4, 5)
	y, bd, err := nodes.Einsum("ij,jk->ik", a, g.Input("c", tensor.Float64, 3, 5)).Op().Batch([]*graph.Node{a, b}, []int{-1, 1})
	require.NoError(t, err)
	assert.Equal(t, 0, bd)
	assert.Equal(t, `"ij,jak->aik"`, y.Op().(*nodes.EinsumOp).Attrs())

	// A spec that uses every letter has none left for the loop axis: a loop is kept.
	letters := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	ones := make([]int, len(letters))
	for k := range ones {
		ones[k] = 1
	}
	x := g.Input("x", tensor.Float64, ones...)
	full := nodes.Einsum(letters+"->"+strings.ToLower(letters[:3]), x)
	require.NoError(t, g.Err())
	_, _, err = full.Op().Batch([]*graph.Node{g.Input("xb", tensor.Float64, append([]int{2}, ones...)...)}, []int{0})
	assert.ErrorIs(t, err, graph.ErrNoBatchRule)
}
