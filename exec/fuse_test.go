package exec_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

func randT(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

// fusedCase builds a program over inputs named x0, x1... and says which
// fused kernel Explain must show.
type fusedCase struct {
	name   string
	shapes [][]int
	build  func(g *graph.Graph, xs []*graph.Node) *graph.Node
	want   string // in Explain
}

func fusedCases() []fusedCase {
	all := graph.All
	return []fusedCase{
		{"exp affine", [][]int{{3000}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Scale(nodes.Exp(nodes.Offset(nodes.Scale(x[0], 0.5), 0.25)), 1.5)
		}, "Fused(Scale(Exp(Offset(Scale(in0, 0.5), 0.25)), 1.5))"},
		{"offset then scale", [][]int{{77}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Tanh(nodes.Scale(nodes.Offset(x[0], 1), -2))
		}, "Fused(Tanh(Scale(Offset(in0, 1), -2)))"},
		{"bias rows", [][]int{{37, 70}, {70}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node { return nodes.Sigmoid(nodes.Add(x[0].At(i, all), x[1])) })
		}, "in1[dims 1]"},
		{"bias columns", [][]int{{37, 70}, {37}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			j := g.Axis("j", 0)
			return vmap.For(j).Into(all, j).Do(func() *graph.Node {
				return nodes.Relu(nodes.Sub(nodes.Abs(x[0].At(all, j)), x[1]))
			})
		}, "Fused("},
		{"outer", [][]int{{33}, {65}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i, j := g.Axis("i", 0), g.Axis("j", 0)
			return vmap.For(i, j).Do(func() *graph.Node {
				return nodes.Exp(nodes.Neg(nodes.Mul(x[0].At(i), x[1].At(j))))
			})
		}, "Fused("},
		{"scalars", [][]int{{50, 3}, {}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Div(nodes.Mul(x[0], x[1]), nodes.Maximum(nodes.Sqrt(nodes.Abs(x[0])), g.Scalar(0.5, x[0].DType())))
		}, "Maximum(Sqrt(Abs(in0)), 0.5)"},
		{"shared value", [][]int{{4096 + 5}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			e := nodes.Exp(x[0])
			return nodes.Mul(e, nodes.Offset(e, 1))
		}, "v1 = Exp(in0); Mul(v1, Offset(v1, 1))"},
		{"where", [][]int{{40, 9}, {40, 9}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Where(nodes.Less(x[0], x[1]), nodes.Scale(x[0], 2), nodes.Pow(nodes.Abs(x[1]), x[0]))
		}, "Where(Less(in0, in1)"},
		{"logsumexp rows", [][]int{{30, 500}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node { return nodes.LogSumExp(nodes.Scale(x[0].At(i, all), 3)) })
		}, "LogSumExp[axes 1](Scale(in0, 3))"},
		{"max rows", [][]int{{300, 50}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node { return nodes.Max(nodes.Sub(x[0].At(i, all), nodes.Exp(x[0].At(i, all)))) })
		}, "Max[axes 1]"},
		{"mean columns", [][]int{{300, 7}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			j := g.Axis("j", 0)
			return vmap.For(j).Do(func() *graph.Node { return nodes.Mean(nodes.Exp(x[0].At(all, j))) })
		}, "Mean[axes 0](Exp(in0))"},
		{"min batched columns", [][]int{{3, 20, 5}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			b, j := g.Axis("b", 0), g.Axis("j", 0)
			return vmap.For(b, j).Do(func() *graph.Node { return nodes.Min(nodes.Tanh(x[0].At(b, all, j))) })
		}, "Min[axes 1]"},
		{"lse columns", [][]int{{50, 6}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			j := g.Axis("j", 0)
			return vmap.For(j).Do(func() *graph.Node { return nodes.LogSumExp(nodes.Scale(x[0].At(all, j), 10)) })
		}, "LogSumExp[axes 0]"},
		{"sum of everything", [][]int{{100000}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Sum(nodes.Exp(nodes.Scale(x[0], 0.1)))
		}, "Sum[axes 0]"},
		{"lse of everything", [][]int{{70000}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.LogSumExp(nodes.Scale(x[0], 4))
		}, "LogSumExp[axes 0]"},
		{"softmax rows", [][]int{{20, 300}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node { return nodes.Softmax(nodes.Scale(x[0].At(i, all), 3)) })
		}, "Softmax[axis 1](Scale(in0, 3))"},
		{"log softmax rows", [][]int{{20, 30}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node { return nodes.LogSoftmax(nodes.Tanh(x[0].At(i, all))) })
		}, "LogSoftmax[axis 1]"},
		{"softmax columns", [][]int{{40, 9}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			j := g.Axis("j", 0)
			return vmap.For(j).Into(all, j).Do(func() *graph.Node { return nodes.Softmax(nodes.Neg(x[0].At(all, j))) })
		}, "Softmax[axis 0](Neg(in0))"},
		{"softmax middle", [][]int{{4, 9, 3}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			b, j := g.Axis("b", 0), g.Axis("j", 0)
			return vmap.For(b, j).Into(b, all, j).Do(func() *graph.Node { return nodes.Softmax(nodes.Offset(x[0].At(b, all, j), 1)) })
		}, "Softmax[axis 1]"},
		{"matmul bias relu", [][]int{{33, 20}, {20, 45}, {45}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			i := g.Axis("i", 0)
			return vmap.For(i).Do(func() *graph.Node {
				return nodes.Relu(nodes.Add(nodes.MatMul(x[0].At(i, all), x[1]), x[2]))
			})
		}, "FusedMatMul(then Relu(Add(in0, in1[dims 1])))"},
		{"matmul tanh", [][]int{{260, 20}, {20, 45}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Tanh(nodes.MatMul(x[0], x[1]))
		}, "FusedMatMul(then Tanh(in0))"},
		{"attention scores", [][]int{{3, 40, 8}, {3, 50, 8}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			h, r := g.Axis("h", 0), g.Axis("r", 0)
			return vmap.For(h).Do(func() *graph.Node {
				s := nodes.Scale(nodes.MatMul(x[0].At(h, all, all), nodes.T(x[1].At(h, all, all))), 0.3)
				return vmap.For(r).Do(func() *graph.Node { return nodes.Softmax(s.At(r, all)) })
			})
		}, "then Softmax[axis 2](in0)"},
		{"matrix times vector softmax", [][]int{{30, 8}, {8}}, func(g *graph.Graph, x []*graph.Node) *graph.Node {
			return nodes.Softmax(nodes.MatMul(x[0], x[1]))
		}, "Softmax"},
	}
}

// Every fusion pattern computes what the reference does, in float32 and
// float64, and Explain shows its fused kernel.
func TestFusedMatchesReference(t *testing.T) {
	for _, c := range fusedCases() {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(c.name+"/"+graph.DTypeName(dt), func(t *testing.T) {
				r := rand.New(rand.NewSource(1))
				g := graph.New()
				feeds := map[string]*tensor.Dense{}
				xs := make([]*graph.Node, len(c.shapes))
				for k, s := range c.shapes {
					name := string(rune('a' + k))
					xs[k] = g.Input(name, dt, s...)
					feeds[name] = randT(r, dt, s...)
				}
				y := c.build(g, xs)
				require.NoError(t, g.Err())
				want := runWith(t, y, feeds, exec.Reference())
				p, err := exec.Compile([]*graph.Node{y}, exec.Debug(""))
				require.NoError(t, err)
				got, err := p.Run(feeds)
				require.NoError(t, err)
				optest.Close(t, c.name, got[0], want)
				e := p.Explain()
				assert.Contains(t, e, c.want, e)
			})
		}
	}
}

func runWith(t *testing.T, y *graph.Node, feeds map[string]*tensor.Dense, opts ...exec.Option) *tensor.Dense {
	t.Helper()
	p, err := exec.Compile([]*graph.Node{y}, opts...)
	require.NoError(t, err)
	out, err := p.Run(feeds)
	require.NoError(t, err)
	return out[0]
}

// Reductions and softmaxes keep the reference's answers on infinities and
// NaNs, chunk boundaries included.
func TestFusedSpecialValues(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		const rows, n = 6, 5000
		v := make([]float64, rows*n)
		for k := range v {
			v[k] = float64(k%97) / 10
		}
		v[0*n+4321] = math.Inf(1)      // row 0: +Inf
		v[1*n+17] = math.NaN()         // row 1: NaN
		for k := 2 * n; k < 3*n; k++ { // row 2: all -Inf
			v[k] = math.Inf(-1)
		}
		v[3*n+4999] = math.Inf(-1)
		v[4*n+2048] = 1e30 // row 4: overflows exp unless shifted
		v[5*n+3] = math.NaN()
		v[5*n+4900] = math.Inf(1) // row 5: +Inf beats NaN, as math.Max
		g := graph.New()
		x := g.Input("x", dt, rows, n)
		i := g.Axis("i", 0)
		for ri, red := range []func(*graph.Node) *graph.Node{nodes.LogSumExp, nodes.Max, nodes.Min, nodes.Sum, nodes.Mean, nodes.Softmax, nodes.LogSoftmax} {
			y := vmap.For(i).Do(func() *graph.Node { return red(nodes.Scale(x.At(i, graph.All), 2)) })
			y2 := vmap.For(i).Do(func() *graph.Node { return red(nodes.Neg(nodes.Neg(x.At(i, graph.All)))) })
			feeds := map[string]*tensor.Dense{"x": dense.FromF64(dt, []int{rows, n}, v)}
			for _, out := range []*graph.Node{y, y2} {
				want := runWith(t, out, feeds, exec.Reference())
				got := runWith(t, out, feeds)
				optest.Close(t, fmt.Sprintf("special values %v %d", dt, ri), got, want)
			}
		}
	}
}

// Explain lists each kernel with what it fused, its shape with axis names,
// FLOPs and bytes, and the peak memory the plan needs.
func TestExplainShowsFusedKernels(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 64, 128)
	w := g.Input("w", tensor.Float32, 128, 32)
	row := g.Axis("row", 0)
	y := vmap.For(row).Do(func() *graph.Node {
		return nodes.Softmax(nodes.Tanh(nodes.MatMul(x.At(row, graph.All), w)))
	})
	p, err := exec.Compile([]*graph.Node{y})
	require.NoError(t, err)
	e := p.Explain()
	for _, s := range []string{"FusedMatMul", "MatMul → Tanh → Softmax", "f32[row=64 32]", "FLOP", "peak"} {
		assert.Contains(t, e, s, e)
	}
	assert.False(t, strings.Contains(e, "= Tanh"), "Tanh runs inside the GEMM's epilogue:\n%s", e)
}
