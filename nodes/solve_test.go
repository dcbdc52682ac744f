package nodes_test

import (
	"errors"
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

// svWellCond is a random n×n matrix with a dominant diagonal.
func svWellCond(r *rand.Rand, n int) []float64 {
	v := laRandom(r, n, n)
	for i := 0; i < n; i++ {
		v[i*n+i] += float64(n) + 1
	}
	return v
}

// svSPD is a random symmetric positive definite n×n matrix: M·Mᵀ + n·I.
func svSPD(r *rand.Rand, n int) []float64 {
	m := laRandom(r, n, n)
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k := 0; k < n; k++ {
				v[i*n+j] += m[i*n+k] * m[j*n+k]
			}
		}
		v[i*n+i] += float64(n)
	}
	return v
}

func TestSolve(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	cases := []struct {
		n int
		b []int
	}{
		{4, []int{4}},
		{3, []int{3, 2}},
		{1, []int{1}},
		{5, []int{5, 5}},
		{3, []int{3, 0}},
		{0, []int{0}},
		{0, []int{0, 3}},
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%d/%v", dt, c.n, c.b), func(t *testing.T) {
				At, Av := laValue(dt, []int{c.n, c.n}, svWellCond(r, c.n))
				bt, bv := laValue(dt, c.b, laRandom(r, c.b...))
				g := graph.New()
				A, b := g.Input("A", dt, c.n, c.n), g.Input("b", dt, c.b...)
				x := nodes.Solve(A, b)
				require.NoError(t, g.Err())
				assert.Equal(t, c.b, x.Shape())
				got := evalRef(t, map[*graph.Node]*tensor.Dense{A: At, b: bt}, x)[0]
				laCheckType(t, x, got)
				k := 1
				if len(c.b) == 2 {
					k = c.b[1]
				}
				want := make([]float64, c.n*k)
				if c.n > 0 && k > 0 {
					var w mat.Dense
					require.NoError(t, w.Solve(laMat(c.n, c.n, Av), laMat(c.n, k, bv)))
					want = laRaw(&w)
				}
				laClose(t, want, got, laTol(dt))
				assert.Equal(t, Av, dense.F64(At), "A untouched")
				assert.Equal(t, bv, dense.F64(bt), "b untouched")
			})
		}
	}
}

func TestInv(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, n := range []int{1, 2, 4, 0} {
			t.Run(fmt.Sprintf("%v/%d", dt, n), func(t *testing.T) {
				At, Av := laValue(dt, []int{n, n}, svWellCond(r, n))
				g := graph.New()
				A := g.Input("A", dt, n, n)
				y := nodes.Inv(A)
				got := evalRef(t, map[*graph.Node]*tensor.Dense{A: At}, y)[0]
				laCheckType(t, y, got)
				want := []float64{}
				if n > 0 {
					var w mat.Dense
					require.NoError(t, w.Inverse(laMat(n, n, Av)))
					want = laRaw(&w)
				}
				laClose(t, want, got, laTol(dt))
			})
		}
	}
}

func TestCholesky(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, n := range []int{1, 3, 5, 0} {
			t.Run(fmt.Sprintf("%v/%d", dt, n), func(t *testing.T) {
				At, Av := laValue(dt, []int{n, n}, svSPD(r, n))
				g := graph.New()
				A := g.Input("A", dt, n, n)
				L := nodes.Cholesky(A)
				got := evalRef(t, map[*graph.Node]*tensor.Dense{A: At}, L)[0]
				laCheckType(t, L, got)
				if n == 0 {
					return
				}
				var c mat.Cholesky
				require.True(t, c.Factorize(mat.NewSymDense(n, append([]float64(nil), Av...))))
				var l mat.TriDense
				c.LTo(&l)
				laClose(t, laRaw(&l), got, laTol(dt))
				// Lower triangular, and L·Lᵀ = A.
				lv := dense.F64(got)
				for i := 0; i < n; i++ {
					for j := i + 1; j < n; j++ {
						assert.Zero(t, lv[i*n+j], "L[%d,%d]", i, j)
					}
				}
				var p mat.Dense
				p.Mul(laMat(n, n, lv), laMat(n, n, lv).T())
				laClose(t, Av, dense.FromF64(tensor.Float64, []int{n, n}, laRaw(&p)), 10*laTol(dt))
			})
		}
	}
	// By hand: [[4 2] [2 5]] = [[2 0] [1 2]]·[[2 1] [0 2]].
	g := graph.New()
	A := g.Input("A", tensor.Float64, 2, 2)
	L := nodes.Cholesky(A)
	got := evalRef(t, map[*graph.Node]*tensor.Dense{A: f64s([]int{2, 2}, 4, 2, 2, 5)}, L)[0]
	assert.Equal(t, []float64{2, 0, 1, 2}, got.Float64s())
}

func TestSolveByHand(t *testing.T) {
	g := graph.New()
	A, b := g.Input("A", tensor.Float32, 2, 2), g.Input("b", tensor.Float32, 2)
	x := nodes.Solve(A, b)
	// 2x + y = 5, x + 3y = 10 → x = 1, y = 3.
	got := evalRef(t, map[*graph.Node]*tensor.Dense{A: f32s([]int{2, 2}, 2, 1, 1, 3), b: f32s([]int{2}, 5, 10)}, x)[0]
	laClose(t, []float64{1, 3}, got, 1e-6)
	assert.Equal(t, tensor.Float32, got.Dtype())
}

func TestSolveRunErrors(t *testing.T) {
	singular := f64s([]int{3, 3}, 1, 2, 3, 2, 4, 6, 1, 0, 1)
	nearly := f64s([]int{2, 2}, 1, 1, 1, 1+2.3e-16) // one ulp off singular: condition ~2e16
	notPD := f64s([]int{2, 2}, 1, 2, 2, 1)
	cases := []struct {
		name  string
		build func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense)
		is    error
	}{
		{"Solve singular", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A, b := g.Input("A", tensor.Float64, 3, 3), g.Input("b", tensor.Float64, 3)
			return nodes.Solve(A, b), map[*graph.Node]*tensor.Dense{A: singular, b: f64s([]int{3}, 1, 2, 3)}
		}, nodes.ErrSingular},
		{"Solve zero", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A, b := g.Input("A", tensor.Float32, 2, 2), g.Input("b", tensor.Float32, 2, 1)
			return nodes.Solve(A, b), map[*graph.Node]*tensor.Dense{A: f32s([]int{2, 2}, 0, 0, 0, 0), b: f32s([]int{2, 1}, 1, 2)}
		}, nodes.ErrSingular},
		{"Inv singular", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A := g.Input("A", tensor.Float64, 3, 3)
			return nodes.Inv(A), map[*graph.Node]*tensor.Dense{A: singular}
		}, nodes.ErrSingular},
		{"Inv nearly", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A := g.Input("A", tensor.Float64, 2, 2)
			return nodes.Inv(A), map[*graph.Node]*tensor.Dense{A: nearly}
		}, nodes.ErrSingular},
		{"Cholesky not PD", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A := g.Input("A", tensor.Float64, 2, 2)
			return nodes.Cholesky(A), map[*graph.Node]*tensor.Dense{A: notPD}
		}, nodes.ErrNotPositiveDefinite},
		{"Cholesky negative", func(g *graph.Graph) (*graph.Node, map[*graph.Node]*tensor.Dense) {
			A := g.Input("A", tensor.Float32, 1, 1)
			return nodes.Cholesky(A), map[*graph.Node]*tensor.Dense{A: f32s([]int{1, 1}, -1)}
		}, nodes.ErrNotPositiveDefinite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New()
			y, feeds := c.build(g)
			require.NoError(t, g.Err())
			_, err := tryEval(feeds, y)
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.is), "%v", err)
			var re *graph.RunError
			require.True(t, errors.As(err, &re))
			assert.Contains(t, err.Error(), "solve_test.go:")
		})
	}
}

func TestSolveErrors(t *testing.T) {
	f64 := tensor.Float64
	cases := []struct {
		name, op string
		build    func(g *graph.Graph) *graph.Node
		wants    []string
	}{
		{"non-square", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 4), g.Input("b", f64, 3))
		}, []string{"square", "[3 4]"}},
		{"1-D A", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3), g.Input("b", f64, 3))
		}, []string{"square", "[3]"}},
		{"b mismatch", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 3), g.Input("b", f64, 4))
		}, []string{"[4]", "[3 3]"}},
		{"b 2-D mismatch", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 3), g.Input("b", f64, 2, 3))
		}, []string{"[2 3]", "[3 3]"}},
		{"b 3-D", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 3), g.Input("b", f64, 3, 2, 2))
		}, []string{"[3 2 2]", "[3 3]"}},
		{"b scalar", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 3), g.Input("b", f64))
		}, []string{"[]", "[3 3]"}},
		{"dtypes", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", f64, 3, 3), g.Input("b", tensor.Float32, 3))
		}, []string{"dtypes differ", "f64[3 3]", "f32[3]"}},
		{"int", "Solve", func(g *graph.Graph) *graph.Node {
			return nodes.Solve(g.Input("A", tensor.Int64, 3, 3), g.Input("b", tensor.Int64, 3))
		}, []string{"float", "i64[3 3]"}},
		{"Inv non-square", "Inv", func(g *graph.Graph) *graph.Node {
			return nodes.Inv(g.Input("A", f64, 2, 3))
		}, []string{"square", "[2 3]"}},
		{"Inv 3-D", "Inv", func(g *graph.Graph) *graph.Node {
			return nodes.Inv(g.Input("A", f64, 2, 2, 2))
		}, []string{"square", "[2 2 2]"}},
		{"Cholesky non-square", "Cholesky", func(g *graph.Graph) *graph.Node {
			return nodes.Cholesky(g.Input("A", f64, 4, 3))
		}, []string{"square", "[4 3]"}},
		{"Cholesky bool", "Cholesky", func(g *graph.Graph) *graph.Node {
			return nodes.Cholesky(g.Input("A", tensor.Bool, 2, 2))
		}, []string{"float", "bool[2 2]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "solve_test.go", c.op, c.build, c.wants...) })
	}
}
