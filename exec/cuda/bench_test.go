package cuda_test

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/optimize"
	"github.com/loomtensor/loom/vmap"
)

// devProgram is out optimized and prepared on the GPU, with its feeds put
// on the device once: the benchmarks time Call on device-resident values,
// as JAX is timed, so no host copy is in the loop.
type devProgram struct {
	b     *cuda.Backend
	order []*graph.Node
	outs  []*graph.Node
	feeds map[string]*cuda.Tensor
}

func prepare(b *testing.B, out *graph.Node, host map[string]*tensor.Dense) *devProgram {
	b.Helper()
	needGPU(b)
	be, err := cuda.New()
	if err != nil {
		b.Fatal(err)
	}
	g := out.Graph()
	if err := g.Err(); err != nil {
		b.Fatal(err)
	}
	g.Lock()
	outs, err := optimize.Run([]*graph.Node{out}, optimize.Options{})
	g.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	p := &devProgram{b: be, order: graph.Needed(outs), outs: outs, feeds: map[string]*cuda.Tensor{}}
	if err := be.Prepare(p.order, p.outs); err != nil {
		b.Fatal(err)
	}
	for name, h := range host {
		if p.feeds[name], err = be.Put(h); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%v, TF32 %v, %d elementwise nodes fused", be.Device(), be.Device().TF32(), be.Fused())
	return p
}

// call runs the program once and returns its first output on the host
// when keep is set.
func (p *devProgram) call(b *testing.B, keep bool) *tensor.Dense {
	res, err := p.b.Call(p.order, p.outs, p.feeds)
	if err != nil {
		b.Fatal(err)
	}
	var h *tensor.Dense
	if keep {
		if h, err = res[0].Dense(); err != nil {
			b.Fatal(err)
		}
	}
	for _, t := range res {
		t.Free()
	}
	return h
}

// time runs the checked warm-up call, then b.N timed calls.
func (p *devProgram) time(b *testing.B, check func(out *tensor.Dense)) {
	check(p.call(b, true))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.call(b, false)
	}
}

func near(b *testing.B, what string, got, want, rel float64) {
	b.Helper()
	if !(math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))) {
		b.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// exp(a·x+b)·c over 2^26 float32 in one fused kernel. SetBytes counts the
// read and the write (8 bytes per element): the effective bandwidth, as
// JAX's ≈ 1.88 TB/s and a plain copy's ≈ 2.8 TB/s on an H100 count it.
func BenchmarkFusedExpAffine(b *testing.B) {
	needGPU(b)
	const n = 1 << 26
	g := graph.New()
	x := g.Input("x", tensor.Float32, n)
	y := nodes.Scale(nodes.Exp(nodes.Offset(nodes.Scale(x, 0.5), 0.25)), 1.5)
	r := rand.New(rand.NewSource(5))
	xv := make([]float64, n)
	for k := range xv {
		xv[k] = r.NormFloat64()
	}
	xh := dense.FromF64(tensor.Float32, []int{n}, xv)
	p := prepare(b, y, map[string]*tensor.Dense{"x": xh})
	b.SetBytes(8 * n)
	p.time(b, func(out *tensor.Dense) {
		for _, k := range []int{0, 12345, n - 1} {
			near(b, "exp(a·x+b)·c", float64(out.Float32s()[k]), 1.5*math.Exp(0.5*float64(xh.Float32s()[k])+0.25), 1e-5)
		}
	})
	b.ReportMetric(8*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e12, "TB/s")
}

// 100000 systems of 5×5, float32: y[i] = solve(A[i], x[i]).
func BenchmarkBatchedSolve(b *testing.B) {
	needGPU(b)
	const n, d = 100000, 5
	g := graph.New()
	A := g.Input("A", tensor.Float32, n, d, d)
	x := g.Input("x", tensor.Float32, n, d)
	i := g.Axis("i", 0)
	y := vmap.For(i).Do(func() *graph.Node { return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All)) })
	r := rand.New(rand.NewSource(1))
	av, xv := make([]float64, n*d*d), make([]float64, n*d)
	for k := range av {
		av[k] = r.NormFloat64()
		if k%(d*d)%(d+1) == 0 {
			av[k] += d + 1 // diagonally dominant: well conditioned
		}
	}
	for k := range xv {
		xv[k] = r.NormFloat64()
	}
	ah, xh := dense.FromF64(tensor.Float32, []int{n, d, d}, av), dense.FromF64(tensor.Float32, []int{n, d}, xv)
	p := prepare(b, y, map[string]*tensor.Dense{"A": ah, "x": xh})
	p.time(b, func(out *tensor.Dense) {
		// Residual of a few systems: A·y ≈ x.
		yv, a, xs := out.Float32s(), ah.Float32s(), xh.Float32s()
		for _, s := range []int{0, n / 2, n - 1} {
			for row := 0; row < d; row++ {
				v := 0.0
				for c := 0; c < d; c++ {
					v += float64(a[s*d*d+row*d+c]) * float64(yv[s*d+c])
				}
				near(b, "A·y", v, float64(xs[s*d+row]), 1e-4)
			}
		}
	})
}

// Multi-head attention written with loops (examples/attention/mha):
// batch 8, sequence 1024, model 1024, 16 heads of 64, float32; its float32
// GEMMs in exact float32 (fp32) and on TF32 tensor cores (tf32, what JAX's
// default precision does on an H100).
func BenchmarkAttention(b *testing.B) {
	needGPU(b)
	const B, S, D, H = 8, 1024, 1024, 16
	const dk = D / H
	g := graph.New()
	xs := g.Input("x", tensor.Float32, B, S, D)
	w := func(name string, d ...int) *graph.Node { return g.Input(name, tensor.Float32, d...) }
	y := mha.Batched(xs, w("wq", H, D, dk), w("wk", H, D, dk), w("wv", H, D, dk), w("wo", H, dk, dk))
	r := rand.New(rand.NewSource(3))
	rnd := func(scale float64, shape ...int) *tensor.Dense {
		v := make([]float64, dense.Size(shape))
		for k := range v {
			v[k] = r.NormFloat64() * scale
		}
		return dense.FromF64(tensor.Float32, shape, v)
	}
	feeds := map[string]*tensor.Dense{"x": rnd(1, B, S, D)}
	for _, n := range []string{"wq", "wk", "wv"} {
		feeds[n] = rnd(1/math.Sqrt(D), H, D, dk)
	}
	feeds["wo"] = rnd(1/math.Sqrt(dk), H, dk, dk)
	p := prepare(b, y, feeds)
	dev := p.b.Device()
	was := dev.TF32()
	defer dev.SetTF32(was)
	for _, tf32 := range []bool{false, true} {
		name := map[bool]string{false: "fp32", true: "tf32"}[tf32]
		b.Run(name, func(b *testing.B) {
			if err := dev.SetTF32(tf32); err != nil {
				b.Fatal(err)
			}
			p.time(b, func(out *tensor.Dense) {
				if s := dense.Shape(out); len(s) != 3 || s[0] != B || s[1] != S || s[2] != D {
					b.Fatalf("result shape %v", s)
				}
				for _, v := range out.Float32s()[:1000] {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						b.Fatalf("non-finite output %v", v)
					}
				}
			})
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
		})
	}
}
