package cuda_test

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// needGPU skips t, saying why, where no usable GPU is found.
func needGPU(t testing.TB) *cuda.Device {
	t.Helper()
	d, err := cuda.Open()
	if err != nil {
		t.Skipf("no usable GPU: %v", err)
	}
	return d
}

func runner(opts ...exec.Option) optest.Runner {
	return func(outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
		p, err := exec.Compile(outs, opts...)
		if err != nil {
			return nil, err
		}
		return p.Run(feeds)
	}
}

// The op suite on the GPU against the reference interpreter. Ops without a
// device kernel run on the host (LOOM_CUDA_HOST=1), so every case runs;
// TestNoSilentFallback checks that they fail Compile otherwise.
func TestOpLoopsCUDA(t *testing.T) {
	needGPU(t)
	t.Setenv("LOOM_CUDA_HOST", "1")
	optest.Loops(t, runner(exec.OnCUDA()), runner(exec.Reference()))
}

func TestOpShapesCUDA(t *testing.T) {
	needGPU(t)
	t.Setenv("LOOM_CUDA_HOST", "1")
	optest.Shapes(t, runner(exec.OnCUDA()))
}

func TestNoSilentFallback(t *testing.T) {
	needGPU(t)
	t.Setenv("LOOM_CUDA_HOST", "")
	g := graph.New()
	a := g.Input("a", tensor.Int64, 3, 3)
	_, err := exec.Compile([]*graph.Node{nodes.MatMul(a, a)}, exec.OnCUDA())
	if err == nil {
		t.Fatal("an int64 MatMul compiled for the GPU, which has no kernel for it")
	}
	t.Log(err)
}

func randDense(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

// closeTo fails unless got and want agree to rel·max(1, |want|).
func closeTo(t *testing.T, what string, got, want *tensor.Dense, rel float64) {
	t.Helper()
	g, w := dense.F64(got), dense.F64(want)
	if len(g) != len(w) {
		t.Fatalf("%s: %d elements, want %d", what, len(g), len(w))
	}
	for k := range g {
		if d := math.Abs(g[k] - w[k]); !(d <= rel*math.Max(1, math.Abs(w[k]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, k, g[k], w[k])
		}
	}
}

// The essay's examples on the GPU against the CPU backend.
func TestEssayExamplesCUDA(t *testing.T) {
	needGPU(t)
	r := rand.New(rand.NewSource(1))
	check := func(name string, out *graph.Node, feeds map[string]*tensor.Dense, rel float64) {
		t.Run(name, func(t *testing.T) {
			pc, err := exec.Compile([]*graph.Node{out}, exec.OnCPU())
			if err != nil {
				t.Fatal(err)
			}
			pg, err := exec.Compile([]*graph.Node{out}, exec.OnCUDA())
			if err != nil {
				t.Fatal(err)
			}
			want, err := pc.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, name, got[0], want[0], rel)
		})
	}
	{
		g := graph.New()
		A := g.Input("A", tensor.Float64, 100, 5, 5)
		x := g.Input("x", tensor.Float64, 100, 5)
		i := g.Axis("i", 0)
		y := vmap.For(i).Do(func() *graph.Node { return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All)) })
		a := randDense(r, tensor.Float64, 100, 5, 5)
		av := a.Float64s()
		for s := 0; s < 100; s++ {
			for d := 0; d < 5; d++ {
				av[s*25+d*6] += 6
			}
		}
		check("solve", y, map[string]*tensor.Dense{"A": a, "x": randDense(r, tensor.Float64, 100, 5)}, 1e-10)
	}
	{
		g := graph.New()
		A3 := g.Input("A3", tensor.Float32, 64, 128, 128)
		B := g.Input("B", tensor.Float32, 128, 64)
		C := g.Input("C", tensor.Float32, 64, 128)
		k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
		D := vmap.For(k, n).Do(func() *graph.Node {
			return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
				return nodes.Mul(nodes.Mul(A3.At(k, l, m), B.At(l, n)), C.At(k, m))
			}))
		})
		check("D[k,n]", D, map[string]*tensor.Dense{"A3": randDense(r, tensor.Float32, 64, 128, 128),
			"B": randDense(r, tensor.Float32, 128, 64), "C": randDense(r, tensor.Float32, 64, 128)}, 1e-4)
	}
	{
		g := graph.New()
		xs := g.Input("x", tensor.Float32, 2, 64, 32)
		w := func(name string, d ...int) *graph.Node { return g.Input(name, tensor.Float32, d...) }
		y := mha.Batched(xs, w("wq", 4, 32, 8), w("wk", 4, 32, 8), w("wv", 4, 32, 8), w("wo", 4, 8, 8))
		feeds := map[string]*tensor.Dense{"x": randDense(r, tensor.Float32, 2, 64, 32)}
		for _, n := range []string{"wq", "wk", "wv"} {
			feeds[n] = randDense(r, tensor.Float32, 4, 32, 8)
		}
		feeds["wo"] = randDense(r, tensor.Float32, 4, 8, 8)
		check("attention", y, feeds, 1e-4)
	}
}

// Device-resident values: Put once, Call twice, read back.
func TestCallKeepsValuesOnDevice(t *testing.T) {
	needGPU(t)
	b, err := cuda.New()
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	x := g.Input("x", tensor.Float32, 1000)
	y := nodes.Exp(nodes.Scale(x, 0.5))
	order := graph.Needed([]*graph.Node{y})
	if err := b.Prepare(order, []*graph.Node{y}); err != nil {
		t.Fatal(err)
	}
	h := randDense(rand.New(rand.NewSource(2)), tensor.Float32, 1000)
	xd, err := b.Put(h)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		res, err := b.Call(order, []*graph.Node{y}, map[string]*cuda.Tensor{"x": xd})
		if err != nil {
			t.Fatal(err)
		}
		got, err := res[0].Dense()
		if err != nil {
			t.Fatal(err)
		}
		hv, gv := h.Float32s(), got.Float32s()
		for i := range hv {
			want := math.Exp(0.5 * float64(hv[i]))
			if math.Abs(float64(gv[i])-want) > 1e-5*want {
				t.Fatalf("call %d: element %d = %v, want %v", k, i, gv[i], want)
			}
		}
		res[0].Free()
	}
}
