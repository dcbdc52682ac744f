package vmap_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// The essay's examples ("I don't like NumPy"), each checked against plain Go
// loops, on both the reference interpreter and the CPU backend.

var backends = map[string]exec.Option{"ref": exec.Reference(), "cpu": exec.OnCPU()}

func randn(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

func runAll(t *testing.T, outs []*graph.Node, feeds map[string]*tensor.Dense, check func(name string, got []*tensor.Dense)) {
	t.Helper()
	for name, opt := range backends {
		p, err := exec.Compile(outs, opt)
		require.NoError(t, err)
		got, err := p.Run(feeds)
		require.NoError(t, err, name)
		check(name, got)
	}
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// y[i] = solve(A[i], x[i]) — NumPy needs x[..., None] and [..., 0] here.
func TestEssayBatchedSolve(t *testing.T) {
	const n, d = 100, 5
	r := rand.New(rand.NewSource(1))
	Av, xv := randn(r, tensor.Float64, n, d, d), randn(r, tensor.Float64, n, d)
	g := graph.New()
	A := g.Input("A", tensor.Float64, n, d, d)
	x := g.Input("x", tensor.Float64, n, d)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All))
	})
	assert.Equal(t, []int{n, d}, y.Shape())
	runAll(t, []*graph.Node{y}, map[string]*tensor.Dense{"A": Av, "x": xv}, func(name string, got []*tensor.Dense) {
		for b := 0; b < n; b++ {
			a := mat.NewDense(d, d, dense.F64(dense.Take(Av, 0, b)))
			var sol mat.VecDense
			require.NoError(t, sol.SolveVec(a, mat.NewVecDense(d, dense.F64(dense.Take(xv, 0, b)))))
			for k := 0; k < d; k++ {
				near(t, fmt.Sprintf("%s y[%d][%d]", name, b, k), got[0].Float64s()[b*d+k], sol.AtVec(k), 1e-9)
			}
		}
	})
}

// D[k,n] = mean over l,m of A[k,l,m]·B[l,n]·C[k,m].
func TestEssayMeanOfProducts(t *testing.T) {
	const K, L, M, N = 3, 4, 5, 2
	r := rand.New(rand.NewSource(2))
	Av, Bv, Cv := randn(r, tensor.Float32, K, L, M), randn(r, tensor.Float32, L, N), randn(r, tensor.Float32, K, M)
	g := graph.New()
	A := g.Input("A", tensor.Float32, K, L, M)
	B := g.Input("B", tensor.Float32, L, N)
	C := g.Input("C", tensor.Float32, K, M)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	assert.Equal(t, []int{K, N}, D.Shape())
	a, b, c := dense.F64(Av), dense.F64(Bv), dense.F64(Cv)
	runAll(t, []*graph.Node{D}, map[string]*tensor.Dense{"A": Av, "B": Bv, "C": Cv}, func(name string, got []*tensor.Dense) {
		for kk := 0; kk < K; kk++ {
			for nn := 0; nn < N; nn++ {
				s := 0.0
				for ll := 0; ll < L; ll++ {
					for mm := 0; mm < M; mm++ {
						s += a[(kk*L+ll)*M+mm] * b[ll*N+nn] * c[kk*M+mm]
					}
				}
				near(t, fmt.Sprintf("%s D[%d,%d]", name, kk, nn), float64(got[0].Float32s()[kk*N+nn]), s/(L*M), 1e-5)
			}
		}
	})
}

// The indexing riddle: NumPy's A[:, i, j[:, None], :] has shape (4, 2, 3, 7)
// by rules few remember. With explicit axes it says what it does:
// B[:, k, l, :] = A[:, i[l], j[k], :].
func TestEssayIndexingRiddle(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	Av := randn(r, tensor.Float64, 4, 5, 6, 7)
	iv := dense.FromI64([]int{3}, []int64{4, 0, 2})
	jv := dense.FromI64([]int{2}, []int64{5, 1})
	g := graph.New()
	A := g.Input("A", tensor.Float64, 4, 5, 6, 7)
	I := g.Input("i", tensor.Int64, 3)
	J := g.Input("j", tensor.Int64, 2)
	k, l := g.Axis("k", 0), g.Axis("l", 0)
	B := vmap.For(k, l).Into(graph.All, k, l, graph.All).Do(func() *graph.Node {
		return A.At(graph.All, I.At(l), J.At(k), graph.All)
	})
	require.NoError(t, g.Err())
	assert.Equal(t, []int{4, 2, 3, 7}, B.Shape())
	a := Av.Float64s()
	runAll(t, []*graph.Node{B}, map[string]*tensor.Dense{"A": Av, "i": iv, "j": jv}, func(name string, got []*tensor.Dense) {
		out := got[0].Float64s()
		for p := 0; p < 4; p++ {
			for kk := 0; kk < 2; kk++ {
				for ll := 0; ll < 3; ll++ {
					for q := 0; q < 7; q++ {
						want := a[((p*5+int(iv.Int64s()[ll]))*6+int(jv.Int64s()[kk]))*7+q]
						assert.Equal(t, want, out[((p*2+kk)*3+ll)*7+q], name)
					}
				}
			}
		}
	})
}

// H[i,j] = 1/(i+j+1) from the loop indices as values.
func TestEssayHilbert(t *testing.T) {
	g := graph.New()
	i, j := g.Axis("i", 4), g.Axis("j", 5)
	H := vmap.For(i, j).Do(func() *graph.Node {
		s := nodes.Cast(nodes.Offset(nodes.Add(i.Value(), j.Value()), 1), tensor.Float64)
		return nodes.Div(g.Scalar(1, tensor.Float64), s)
	})
	assert.Equal(t, []int{4, 5}, H.Shape())
	runAll(t, []*graph.Node{H}, nil, func(name string, got []*tensor.Dense) {
		for a := 0; a < 4; a++ {
			for b := 0; b < 5; b++ {
				near(t, name, got[0].Float64s()[a*5+b], 1/float64(a+b+1), 1e-15)
			}
		}
	})
}

// Into places the loop axis: Z[:, i] = 2·x[i] (DumPy's Z[:, i] = ...).
func TestEssayInto(t *testing.T) {
	g := graph.New()
	xv := randn(rand.New(rand.NewSource(4)), tensor.Float64, 3, 4)
	x := g.Input("x", tensor.Float64, 3, 4)
	i := g.Axis("i", 0)
	Z := vmap.For(i).Into(graph.All, i).Do(func() *graph.Node { return nodes.Scale(x.At(i, graph.All), 2) })
	assert.Equal(t, []int{4, 3}, Z.Shape())
	assert.Equal(t, "f64[4 i=3]", Z.Type().String())
	runAll(t, []*graph.Node{Z}, map[string]*tensor.Dense{"x": xv}, func(name string, got []*tensor.Dense) {
		for a := 0; a < 3; a++ {
			for b := 0; b < 4; b++ {
				assert.Equal(t, 2*xv.Float64s()[a*4+b], got[0].Float64s()[b*3+a], name)
			}
		}
	})
}

func TestIntoErrors(t *testing.T) {
	for _, c := range []struct {
		layout []any
		want   string
	}{
		{[]any{graph.All}, "1 entries for 1 loop axes and 1 body dims"},
		{[]any{graph.All, 7}, "want a loop *graph.Axis or graph.All"},
	} {
		g := graph.New()
		x := g.Input("x", tensor.Float64, 3, 4)
		i := g.Axis("i", 0)
		vmap.For(i).Into(c.layout...).Do(func() *graph.Node { return x.At(i, graph.All) })
		require.Error(t, g.Err())
		assert.Contains(t, g.Err().Error(), c.want)
		assert.Contains(t, g.Err().Error(), "essay_test.go:")
	}
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	i, j := g.Axis("i", 0), g.Axis("j", 2)
	vmap.For(i).Into(j, graph.All).Do(func() *graph.Node { return x.At(i, graph.All) })
	assert.ErrorContains(t, g.Err(), "axis j is not one of the loop's axes")
}

func ExampleFor() {
	g := graph.New()
	A := g.Input("A", tensor.Float64, 100, 5, 5)
	x := g.Input("x", tensor.Float64, 100, 5)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All))
	})
	fmt.Println(y.Type())
	// Output: f64[i=100 5]
}

func ExampleLoop_Into() {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3, 4)
	i := g.Axis("i", 0)
	z := vmap.For(i).Into(graph.All, i).Do(func() *graph.Node { return nodes.Exp(x.At(i, graph.All)) })
	fmt.Println(z.Type())
	// Output: f64[4 i=3]
}

// D[k,n] = mean over l,m of A[k,l,m]·B[l,n]·C[k,m], written as loops; the
// optimizer runs it as two GEMM contractions.
func ExampleFor_meanOfProducts() {
	g := graph.New()
	A := g.Input("A", tensor.Float32, 64, 128, 128)
	B := g.Input("B", tensor.Float32, 128, 64)
	C := g.Input("C", tensor.Float32, 64, 128)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	p, err := exec.Compile([]*graph.Node{D})
	fmt.Println(D.Type(), err, p.PeakBytes() < 1<<20)
	// Output: f32[k=64 n=64] <nil> true
}
