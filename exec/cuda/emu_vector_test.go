package cuda

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// The float4 kernel ew4 runs float32 chains of whole operands and scalars
// when the length is a multiple of 4 and the buffers 16-byte aligned; any
// other case runs ew. Both give the reference's results.
func TestEmuVectorKernel(t *testing.T) {
	e2 := &Expr{Shape: []int{8}, In: []Operand{{DType: tensor.Float32, Stride: []int{1}}, {DType: tensor.Float32, Stride: []int{0}}},
		Code: []Instr{{Kind: ILoad, In: 0, DType: tensor.Float32}, {Kind: ILoad, In: 1, DType: tensor.Float32},
			{Kind: IBinary, Bin: nodes.BinMul, Args: []int{0, 1}, DType: tensor.Float32}}}
	src, err := e2.Source()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		out, a uint64
		n      int
		want   string
	}{{256, 512, 8, "ew4"}, {256, 520, 8, "ew"}, {264, 512, 8, "ew"}, {256, 512, 6, "ew"}} {
		e2.Shape = []int{c.n}
		if got := e2.launch(src, c.out, []uint64{c.a, 1024}, 2).name; got != c.want {
			t.Errorf("out %#x, operand %#x, %d elements: launched %s, want %s", c.out, c.a, c.n, got, c.want)
		}
	}
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	run := runner(newEngine(newEmu(t)), nil, nil)
	r := rand.New(rand.NewSource(4))
	for _, n := range []int{1000, 1001, 4} {
		g := graph.New()
		x, y := g.Input("x", tensor.Float32, n), g.Input("y", tensor.Float32, n)
		s := g.Input("s", tensor.Float32)
		out := nodes.Add(nodes.Mul(nodes.Exp(x), s), nodes.Tanh(y))
		feeds := map[string]*tensor.Dense{"x": rnd(r, tensor.Float32, n), "y": rnd(r, tensor.Float32, n), "s": rnd(r, tensor.Float32)}
		matches(t, "vector kernel", run, []*graph.Node{out}, feeds, 1e-5)
	}
}

// Row softmaxes up to warpRow long run one warp per row (softmax_warp),
// longer ones a block per row (softmax_rows); both keep the reference's
// rules for NaN, +Inf and all -Inf rows, in float32 and float64, plain and
// log.
func TestEmuSoftmaxRowKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	run := runner(newEngine(newEmu(t)), nil, nil)
	r := rand.New(rand.NewSource(6))
	for _, n := range []int{1, 33, warpRow, warpRow + 476} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, log := range []bool{false, true} {
				g := graph.New()
				x := g.Input("x", dt, 5, n)
				row := g.Axis("row", 0)
				y := vmap.For(row).Do(func() *graph.Node {
					v := nodes.Scale(x.At(row, graph.All), 0.5)
					if log {
						return nodes.LogSoftmax(v)
					}
					return nodes.Softmax(v)
				})
				xv := rnd(r, dt, 5, n)
				f := dense.F64(xv)
				f[n+n/2] = math.NaN()    // row 1: NaN
				f[2*n+n/3] = math.Inf(1) // row 2: +Inf
				for j := 0; j < n; j++ {
					f[3*n+j] = math.Inf(-1) // row 3: all -Inf
				}
				xv = dense.FromF64(dt, []int{5, n}, f)
				feeds := map[string]*tensor.Dense{"x": xv}
				matches(t, fmt.Sprintf("n=%d %v log=%v", n, dt, log), run, []*graph.Node{y}, feeds, 1e-5)
			}
		}
	}
}
