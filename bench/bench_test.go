package bench

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/blas"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/gemm"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

func randn(r *rand.Rand, dt tensor.Dtype, scale float64, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64() * scale
	}
	return dense.FromF64(dt, shape, v)
}

func compile(b *testing.B, out *graph.Node) *exec.Program {
	p, err := exec.Compile([]*graph.Node{out})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// run times p.Run on feeds after one untimed run, whose outputs the checks
// see first (so a wrong result is not timed).
func run(b *testing.B, p *exec.Program, feeds map[string]*tensor.Dense, checks ...func(out []*tensor.Dense)) {
	out, err := p.Run(feeds) // warm up, and check it runs
	if err != nil {
		b.Fatal(err)
	}
	for _, check := range checks {
		check(out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Run(feeds); err != nil {
			b.Fatal(err)
		}
	}
}

// y[i] = solve(A[i], x[i]) for 100000 systems of 5×5, float64.
func BenchmarkBatchedSolve(b *testing.B) {
	const n, d = 100000, 5
	r := rand.New(rand.NewSource(1))
	A := randn(r, tensor.Float64, 1, n, d, d)
	av := A.Float64s()
	for s := 0; s < n; s++ {
		for k := 0; k < d; k++ {
			av[s*d*d+k*d+k] += d
		}
	}
	g := graph.New()
	Ai := g.Input("A", tensor.Float64, n, d, d)
	xi := g.Input("x", tensor.Float64, n, d)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node {
		return nodes.Solve(Ai.At(i, graph.All, graph.All), xi.At(i, graph.All))
	})
	run(b, compile(b, y), map[string]*tensor.Dense{"A": A, "x": randn(r, tensor.Float64, 1, n, d)})
}

// Multi-head attention, S=512, D=512, H=8, d_k=64, float32, written with
// loops (examples/attention/mha), for a batch of 1 and of 8 sequences.
func BenchmarkAttention(b *testing.B) {
	const S, D, H, dk = 512, 512, 8, 64
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			r := rand.New(rand.NewSource(2))
			g := graph.New()
			feeds := map[string]*tensor.Dense{}
			in := func(name string, scale float64, dims ...int) *graph.Node {
				feeds[name] = randn(r, tensor.Float32, scale, dims...)
				return g.Input(name, tensor.Float32, dims...)
			}
			ws := 1 / math.Sqrt(D)
			wq, wk, wv := in("wq", ws, H, D, dk), in("wk", ws, H, D, dk), in("wv", ws, H, D, dk)
			wo := in("wo", 1/math.Sqrt(dk), H, dk, dk)
			out := mha.Batched(in("x", 1, batch, S, D), wq, wk, wv, wo)
			p := compile(b, out)
			run(b, p, feeds)
			b.ReportMetric(float64(p.PeakBytes())/1e6, "peakMB")
			flops := float64(batch*H) * (3*2*S*D*dk + 2*2*S*S*dk + 2*S*dk*dk)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// Square float32 GEMM through loom's dispatch (OpenBLAS when loaded) and
// forced onto loom's own Go/assembly path.
func BenchmarkGEMM(b *testing.B) {
	for _, path := range []string{"dispatch", "go"} {
		for _, n := range []int{512, 1024, 2048} {
			b.Run(fmt.Sprintf("%s/n=%d", path, n), func(b *testing.B) {
				if path == "go" {
					defer gemm.ForceGo(gemm.ForceGo(true))
				}
				r := rand.New(rand.NewSource(3))
				x, y := randn(r, tensor.Float32, 1, n, n), randn(r, tensor.Float32, 1, n, n)
				c := make([]float32, n*n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					gemm.Sgemm(false, false, n, n, n, 1, x.Float32s(), n, y.Float32s(), n, 0, c, n)
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(0, "ns/op")
				if path == "dispatch" && n == 512 { // once: compare.py reads it
					b.Logf("loom GEMM backend: %s (%s)", gemm.Backend(), openBLASNote())
				}
			})
		}
	}
}

// D[k,n] = mean over l,m of A[k,l,m]·B[l,n]·C[k,m], K=64, L=128, M=128,
// N=64, float32, written as the nested loops of API.md. The optimizer plans it
// as two contractions (a batched matrix·vector product, then one GEMM) and
// never builds the K×N×L×M product; peakMB shows it.
func BenchmarkMeanOfProducts(b *testing.B) {
	const K, L, M, N = 64, 128, 128, 64
	r := rand.New(rand.NewSource(4))
	g := graph.New()
	A3 := g.Input("A3", tensor.Float32, K, L, M)
	B := g.Input("B", tensor.Float32, L, N)
	C := g.Input("C", tensor.Float32, K, M)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A3.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	p := compile(b, D)
	a, bb, c := randn(r, tensor.Float32, 1, K, L, M), randn(r, tensor.Float32, 1, L, N), randn(r, tensor.Float32, 1, K, M)
	run(b, p, map[string]*tensor.Dense{"A3": a, "B": bb, "C": c}, func(out []*tensor.Dense) {
		av, bv, cv := a.Float32s(), bb.Float32s(), c.Float32s()
		for _, kn := range [][2]int{{0, 0}, {5, 33}, {K - 1, N - 1}} {
			var s float64
			for l := 0; l < L; l++ {
				for m := 0; m < M; m++ {
					s += float64(av[(kn[0]*L+l)*M+m]) * float64(bv[l*N+kn[1]]) * float64(cv[kn[0]*M+m])
				}
			}
			near(b, "loom D[k,n]", float64(out[0].Float32s()[kn[0]*N+kn[1]]), s/(L*M))
		}
	})
	b.ReportMetric(float64(p.PeakBytes())/1e6, "peakMB")
}

// exp(a·x+b)·c over 2^24 float32 elements, a, b, c scalars: elementwise,
// no loop.
func BenchmarkExpAffine(b *testing.B) {
	const n = 1 << 24
	r := rand.New(rand.NewSource(5))
	g := graph.New()
	x := g.Input("x", tensor.Float32, n)
	y := nodes.Scale(nodes.Exp(nodes.Offset(nodes.Scale(x, 0.5), 0.25)), 1.5)
	xv := randn(r, tensor.Float32, 1, n)
	run(b, compile(b, y), map[string]*tensor.Dense{"x": xv}, func(out []*tensor.Dense) {
		for _, k := range []int{0, 12345, n - 1} {
			near(b, "loom exp(a·x+b)·c", float64(out[0].Float32s()[k]), 1.5*math.Exp(0.5*float64(xv.Float32s()[k])+0.25))
		}
	})
	b.ReportMetric(float64(4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// Softmax of each row of a 4096×4096 float32 matrix.
func BenchmarkRowSoftmax(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewSource(6))
	g := graph.New()
	x := g.Input("x", tensor.Float32, n, n)
	row := g.Axis("row", 0)
	y := vmap.For(row).Do(func() *graph.Node { return nodes.Softmax(x.At(row, graph.All)) })
	xv := randn(r, tensor.Float32, 1, n, n)
	run(b, compile(b, y), map[string]*tensor.Dense{"x": xv}, func(out []*tensor.Dense) {
		checkSoftmaxRow(b, "loom", xv.Float32s()[77*n:78*n], out[0].Float32s()[77*n:78*n])
	})
}

// One SGD step of a 784→512→10 MLP (relu) with softmax cross-entropy on a
// batch of 256, float32: the loss per example, a loop over the batch, the
// gradients by autodiff.Grad, and the updated weights as outputs.
func BenchmarkMLPStep(b *testing.B) {
	p, feeds, _ := mlpStep(b)
	run(b, p, feeds)
}

// near fails b when got is not within float32 rounding of want.
func near(b *testing.B, what string, got, want float64) {
	if math.Abs(got-want) > 1e-3*(1+math.Abs(want)) || math.IsNaN(got) {
		b.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// checkSoftmaxRow checks a few entries of got = softmax(x) for one row.
func checkSoftmaxRow(b *testing.B, who string, x, got []float32) {
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v))
	}
	for _, c := range []int{0, len(x) / 3, len(x) - 1} {
		near(b, who+" softmax", float64(got[c]), math.Exp(float64(x[c]))/s)
	}
}

// openBLASNote says whether OpenBLAS was loaded, from where and with which
// kernels, or why not.
func openBLASNote() string {
	if !blas.Available() {
		return "OpenBLAS not loaded: " + blas.Reason()
	}
	return fmt.Sprintf("OpenBLAS %s loaded, core %q", blas.Library(), blas.CoreName())
}
