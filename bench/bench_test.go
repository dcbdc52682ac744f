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

func run(b *testing.B, p *exec.Program, feeds map[string]*tensor.Dense) {
	if _, err := p.Run(feeds); err != nil { // warm up, and check it runs
		b.Fatal(err)
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
				b.Logf("backend %s", gemm.Backend())
			})
		}
	}
}
