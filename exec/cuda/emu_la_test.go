package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// laLoop applies f to each n×n matrix of xs (all [batch..., n, n] or
// [batch..., n(, k)]), looping over the leading nb dims with vmap: the
// optimizer turns it into one op with nb batch dims.
func laLoop(nb int, f func(xs ...*graph.Node) *graph.Node, xs ...*graph.Node) *graph.Node {
	if nb == 0 {
		return f(xs...)
	}
	g := xs[0].Graph()
	ax := g.Axis(fmt.Sprint("b", nb), 0)
	return vmap.For(ax).Do(func() *graph.Node {
		inner := make([]*graph.Node, len(xs))
		for k, x := range xs {
			idx := []any{ax}
			for d := 1; d < x.Rank(); d++ {
				idx = append(idx, graph.All)
			}
			inner[k] = x.At(idx...)
		}
		return laLoop(nb-1, f, inner...)
	})
}

// laMatrices is a stack of n×n float64 matrices of the given batch: each
// random plus shift·I (well conditioned and non-symmetric for shift ≈ n),
// or M·Mᵀ + n·I plus an antisymmetric part when spd (Cholesky factors the
// symmetric part).
func laMatrices(r *rand.Rand, dt tensor.Dtype, batch []int, n int, spd bool) *tensor.Dense {
	nm := dense.Size(batch)
	v := make([]float64, nm*n*n)
	for s := 0; s < nm; s++ {
		a := v[s*n*n : (s+1)*n*n]
		m := make([]float64, n*n)
		for k := range m {
			m[k] = r.NormFloat64()
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if !spd {
					a[i*n+j] = m[i*n+j]
					continue
				}
				for c := 0; c < n; c++ {
					a[i*n+j] += m[i*n+c] * m[j*n+c]
				}
				if i < j {
					k := r.NormFloat64()
					a[i*n+j] += k
					a[j*n+i] -= k
				}
			}
			a[i*n+i] += float64(n) + 2
		}
	}
	return dense.FromF64(dt, append(append([]int(nil), batch...), n, n), v)
}

// Inv, Cholesky and Solve on the emulated GPU against the reference: n from
// one thread per matrix (≤ 16) to cuBLAS's LU and the block Cholesky (17,
// 40; 110 in global memory), 0 to 2 batch dims, both dtypes, vector and
// matrix right-hand sides, an A shared along one batch dim.
func TestEmuLinalg(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	run := runner(newEngine(newEmu(t)), nil, nil)
	r := rand.New(rand.NewSource(7))
	check := func(t *testing.T, y *graph.Node, feeds map[string]*tensor.Dense, rel float64) {
		t.Helper()
		matches(t, "result", run, []*graph.Node{y}, feeds, rel)
	}
	batches := [][]int{nil, {3}, {2, 3}}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		rel := 1e-10
		if dt == tensor.Float32 {
			rel = 2e-6
		}
		for _, n := range []int{1, 5, 16, 17, 40} {
			for _, batch := range batches {
				nb := len(batch)
				dims := func(d ...int) []int { return append(append([]int(nil), batch...), d...) }
				t.Run(fmt.Sprintf("%v/n%d/nb%d", dt, n, nb), func(t *testing.T) {
					g := graph.New()
					A := g.Input("A", dt, dims(n, n)...)
					bv := g.Input("bv", dt, dims(n)...)
					bm := g.Input("bm", dt, dims(n, 3)...)
					feeds := map[string]*tensor.Dense{"A": laMatrices(r, dt, batch, n, false),
						"bv": rnd(r, dt, dims(n)...), "bm": rnd(r, dt, dims(n, 3)...)}
					check(t, laLoop(nb, func(x ...*graph.Node) *graph.Node { return nodes.Inv(x[0]) }, A), feeds, rel)
					check(t, laLoop(nb, func(x ...*graph.Node) *graph.Node { return nodes.Solve(x[0], x[1]) }, A, bv), feeds, rel)
					check(t, laLoop(nb, func(x ...*graph.Node) *graph.Node { return nodes.Solve(x[0], x[1]) }, A, bm), feeds, rel)
					S := g.Input("S", dt, dims(n, n)...)
					feeds["S"] = laMatrices(r, dt, batch, n, true)
					check(t, laLoop(nb, func(x ...*graph.Node) *graph.Node { return nodes.Cholesky(x[0]) }, S), feeds, rel)
				})
			}
		}
		t.Run(fmt.Sprintf("%v/cholesky-global", dt), func(t *testing.T) {
			g := graph.New()
			S := g.Input("S", dt, 2, 110, 110)
			y := laLoop(1, func(x ...*graph.Node) *graph.Node { return nodes.Cholesky(x[0]) }, S)
			check(t, y, map[string]*tensor.Dense{"S": laMatrices(r, dt, []int{2}, 110, true)}, rel)
		})
		for _, n := range []int{5, 17} {
			t.Run(fmt.Sprintf("%v/n%d/shared-A", dt, n), func(t *testing.T) {
				// x[i,j] = solve(A[i], b[i,j]): A repeats along j.
				g := graph.New()
				A := g.Input("A", dt, 3, n, n)
				b := g.Input("b", dt, 3, 4, n)
				i, j := g.Axis("i", 0), g.Axis("j", 0)
				y := vmap.For(i, j).Do(func() *graph.Node {
					return nodes.Solve(A.At(i, graph.All, graph.All), b.At(i, j, graph.All))
				})
				check(t, y, map[string]*tensor.Dense{"A": laMatrices(r, dt, []int{3}, n, false), "b": rnd(r, dt, 3, 4, n)}, rel)
			})
		}
	}
	t.Run("empty", func(t *testing.T) {
		g := graph.New()
		A := g.Input("A", tensor.Float64, 0, 17, 17)
		Z := g.Input("Z", tensor.Float32, 2, 0, 0)
		feeds := map[string]*tensor.Dense{"A": dense.Zeros(tensor.Float64, []int{0, 17, 17}), "Z": dense.Zeros(tensor.Float32, []int{2, 0, 0}),
			"b": dense.Zeros(tensor.Float64, []int{0, 17})}
		// A loop cannot take its size from an empty dim: the batched ops
		// directly.
		check(t, graph.Apply(&nodes.InvOp{NB: 1}, A), feeds, 0)
		check(t, graph.Apply(&nodes.CholeskyOp{NB: 1}, Z), feeds, 0)
		check(t, graph.Apply(&nodes.InvOp{NB: 1}, Z), feeds, 0)
		check(t, graph.Apply(&nodes.SolveOp{NB: 1}, A, g.Input("b", tensor.Float64, 0, 17)), feeds, 0)
	})
}

// Singular, non-finite and indefinite matrices fail the run naming the
// first failing system, with the reference's error kinds, on every path.
func TestEmuLinalgErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	run := runner(newEngine(newEmu(t)), nil, nil)
	r := rand.New(rand.NewSource(8))
	// spoil makes matrix s of a [2, 3, n, n] stack singular (row 1 a copy
	// of row 0), non-finite (one NaN or Inf) or indefinite (negated).
	spoil := func(a *tensor.Dense, s, n int, how string) {
		v := a.Float64s()
		m := v[s*n*n : (s+1)*n*n]
		switch how {
		case "singular":
			copy(m[n:2*n], m[:n])
		case "nan":
			m[n-1] = math.NaN()
		case "inf":
			m[n*n-1] = math.Inf(-1)
		case "indefinite":
			for k := range m {
				m[k] = -m[k]
			}
		}
	}
	for _, n := range []int{5, 17, 40} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, c := range []struct {
				op, how string
				at      []int // matrices spoiled, in order
				want    error
				says    string
			}{
				{"inv", "singular", []int{4, 5}, nodes.ErrSingular, "system [1 1]"},
				{"inv", "nan", []int{2}, nil, "system [0 2]: matrix has a non-finite element"},
				{"solve", "singular", []int{5, 3}, nodes.ErrSingular, "system [1 0]"},
				{"solve", "inf", []int{3}, nil, "system [1 0]: matrix has a non-finite element"},
				{"solve-shared", "singular", []int{1}, nodes.ErrSingular, "system [0 1 0]"},
				{"cholesky", "indefinite", []int{1, 4}, nodes.ErrNotPositiveDefinite, "system [0 1]"},
				{"cholesky", "nan", []int{3, 5}, nodes.ErrNotPositiveDefinite, "system [1 0]: matrix is not positive definite: (A+Aᵀ)/2 has a non-finite element"},
			} {
				t.Run(fmt.Sprintf("%s/%s/n%d/%v", c.op, c.how, n, dt), func(t *testing.T) {
					g := graph.New()
					A := g.Input("A", tensor.Float64, 2, 3, n, n)
					a := laMatrices(r, tensor.Float64, []int{2, 3}, n, c.op == "cholesky")
					for _, s := range c.at {
						spoil(a, s, n, c.how)
					}
					x := nodes.Cast(A, dt)
					var y *graph.Node
					switch c.op {
					case "inv":
						y = laLoop(2, func(x ...*graph.Node) *graph.Node { return nodes.Inv(x[0]) }, x)
					case "cholesky":
						y = laLoop(2, func(x ...*graph.Node) *graph.Node { return nodes.Cholesky(x[0]) }, x)
					case "solve":
						b := g.Input("b", dt, 2, 3, n)
						y = laLoop(2, func(x ...*graph.Node) *graph.Node { return nodes.Solve(x[0], x[1]) }, x, b)
					case "solve-shared":
						// Systems [i j k]: A [2 3 1] repeated along k, b [1 1 2]
						// along i and j (the batched op directly: how loops
						// lower to it is the optimizer's business).
						b := g.Input("b", dt, 1, 1, 2, n)
						y = graph.Apply(&nodes.SolveOp{NB: 3}, nodes.Reshape(x, 2, 3, 1, n, n), b)
					}
					feeds := map[string]*tensor.Dense{"A": a, "b": rnd(r, dt, 2, 3, n)}
					if c.op == "solve-shared" {
						feeds["b"] = rnd(r, dt, 1, 1, 2, n)
					}
					if _, err := refRunner([]*graph.Node{y}, feeds); err == nil {
						t.Fatal("the reference accepts the input")
					}
					_, err := run([]*graph.Node{y}, feeds)
					if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.says) {
						t.Fatalf("got %v, want %v saying %q", err, c.want, c.says)
					}
				})
			}
		}
	}
}

// A single matrix fails without a system index, with the same kinds.
func TestEmuLinalgErrorsUnbatched(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	run := runner(newEngine(newEmu(t)), nil, nil)
	for _, n := range []int{3, 17} {
		g := graph.New()
		a := g.Input("A", tensor.Float64, n, n)
		b := g.Input("b", tensor.Float64, n)
		sing := dense.Zeros(tensor.Float64, []int{n, n}) // rank 1: every row 1…n
		for k, v := range sing.Float64s() {
			sing.Float64s()[k] = v + float64(k%n+1)
		}
		nan := laMatrices(rand.New(rand.NewSource(9)), tensor.Float64, nil, n, true)
		nan.Float64s()[n] = math.NaN()
		for _, c := range []struct {
			y    *graph.Node
			a    *tensor.Dense
			want error
			says string
		}{
			{nodes.Inv(a), sing, nodes.ErrSingular, "Inv: matrix is singular"},
			{nodes.Solve(a, b), sing, nodes.ErrSingular, "Solve: matrix is singular"},
			{nodes.Solve(a, b), nan, nil, "Solve: matrix has a non-finite element"},
			{nodes.Cholesky(a), nan, nodes.ErrNotPositiveDefinite, "Cholesky: matrix is not positive definite: (A+Aᵀ)/2"},
			{nodes.Cholesky(a), sing, nodes.ErrNotPositiveDefinite, "Cholesky: matrix is not positive definite"},
		} {
			_, err := run([]*graph.Node{c.y}, map[string]*tensor.Dense{"A": c.a, "b": dense.Zeros(tensor.Float64, []int{n})})
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "system") {
				t.Errorf("n %d: got %v, want %v saying %q", n, err, c.want, c.says)
			}
		}
	}
}

// The LU path of Solve factors each distinct A once: an A shared along a
// batch dim has its pivots repeated (a copy kernel), not its factorization.
func TestLUSolveSharesFactors(t *testing.T) {
	g := graph.New()
	A := g.Input("A", tensor.Float32, 3, 20, 20)
	b := g.Input("b", tensor.Float32, 3, 4, 20)
	i, j := g.Axis("i", 0), g.Axis("j", 0)
	y := vmap.For(i, j).Do(func() *graph.Node { return nodes.Solve(A.At(i, graph.All, graph.All), b.At(i, j, graph.All)) })
	outs := optimized(t, y)
	p, err := newPlan(graph.Needed(outs), outs, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.steps {
		if _, ok := s.n.Op().(*nodes.SolveOp); ok {
			for _, k := range s.srcs {
				names = append(names, k.name)
			}
		}
	}
	if !slices.Contains(names, "copy") || !slices.Contains(names, "lu_in") {
		t.Fatalf("solve kernels %v: want the pivot copy and lu_in", names)
	}
}
