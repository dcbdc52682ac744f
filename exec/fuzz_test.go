package exec_test

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// buildRandom decodes bytes into a small program over x [4 3], y [3 4] and
// an index k: elementwise ops, reductions, matmuls, softmax, transposes,
// gathers and (nested) loops, each step applied to values built so far.
func buildRandom(data []byte) (*graph.Graph, *graph.Node) {
	g := graph.New()
	pool := []*graph.Node{g.Input("x", tensor.Float64, 4, 3), g.Input("y", tensor.Float64, 3, 4)}
	k := g.Input("k", tensor.Int64)
	pick := func(b byte) *graph.Node { return pool[int(b)%len(pool)] }
	for i := 0; i+2 < len(data) && len(pool) < 12; i += 3 {
		v, w := pick(data[i+1]), pick(data[i+2])
		var out *graph.Node
		switch data[i] % 10 {
		case 0:
			out = nodes.Tanh(nodes.Scale(v, 0.5))
		case 1:
			if slices2(v.Shape(), w.Shape()) {
				out = nodes.Add(v, w)
			} else {
				out = nodes.Mul(v, nodes.Sum(w))
			}
		case 2:
			if v.Rank() >= 1 && w.Rank() >= 1 && w.Rank() <= 2 && v.Rank() <= 2 && v.Dim(v.Rank()-1) == w.Dim(0) {
				out = nodes.MatMul(v, w)
			}
		case 3:
			out = nodes.Sum(v)
		case 4:
			if v.Rank() == 2 {
				out = nodes.T(v)
			}
		case 5:
			if v.Rank() >= 1 { // softmax of every row, as a loop
				r := g.Axis("r", 0)
				out = vmap.For(r).Do(func() *graph.Node {
					return nodes.Softmax(nodes.Ravel(v.At(append([]any{r}, alls(v.Rank()-1)...)...)))
				})
			}
		case 6:
			if v.Rank() >= 1 && v.Dim(0) >= 3 {
				out = v.At(append([]any{k}, alls(v.Rank()-1)...)...)
			}
		case 7:
			if v.Rank() == 2 && w.Rank() == 2 && v.Dim(1) == w.Dim(0) { // row-by-row matmul, nested loop
				i, j := g.Axis("i", 0), g.Axis("j", 0)
				out = vmap.For(i, j).Do(func() *graph.Node {
					return nodes.Exp(nodes.Neg(nodes.MatMul(v.At(i, graph.All), w.At(graph.All, j))))
				})
			}
		case 8:
			if v.Rank() >= 1 {
				i := g.Axis("i", 0)
				out = vmap.For(i).Do(func() *graph.Node {
					row := v.At(append([]any{i}, alls(v.Rank()-1)...)...)
					return nodes.Mul(nodes.Offset(row, 1), nodes.Max(row))
				})
			}
		case 9:
			out = nodes.Mean(nodes.Mul(v, v))
		}
		if out != nil {
			pool = append(pool, out)
		}
	}
	return g, pool[len(pool)-1]
}

func alls(n int) []any {
	out := make([]any, n)
	for k := range out {
		out[k] = graph.All
	}
	return out
}

func slices2(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

var fuzzSeeds = [][]byte{
	{2, 0, 1, 5, 2, 0, 3, 3, 0},
	{7, 0, 1, 8, 2, 0, 9, 3, 3},
	{4, 1, 0, 6, 2, 0, 1, 3, 2, 0, 4, 4},
	{5, 0, 0, 5, 1, 1, 2, 2, 3, 6, 4, 0},
	{8, 1, 0, 1, 2, 2, 3, 3, 3, 0, 4, 4, 7, 0, 1},
	{1, 0, 0, 2, 2, 1, 4, 3, 3, 5, 4, 4, 6, 5, 5, 9, 6, 6},
}

// FuzzOptimizedMatchesReference: any program the generator builds gives the
// same result optimized on the CPU as in the reference interpreter. The seed
// corpus runs in make test; go test -fuzz explores further.
func FuzzOptimizedMatchesReference(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, out := buildRandom(data)
		if g.Err() != nil {
			t.Skip(g.Err())
		}
		sameOptimized(t, []*graph.Node{out}, fuzzFeeds())
	})
}

// FuzzGradientsMatchReference: the gradient of any program the generator
// builds (through its loops, gathers and softmaxes) builds without error and
// gives the same values optimized on the CPU as in the reference interpreter.
func FuzzGradientsMatchReference(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, out := buildRandom(data)
		if g.Err() != nil {
			t.Skip(g.Err())
		}
		var wrt []*graph.Node // x and y: the float inputs
		for _, in := range g.Inputs() {
			if graph.IsFloat(in.DType()) {
				wrt = append(wrt, in)
			}
		}
		grads := autodiff.Grad(nodes.Sum(nodes.Mul(out, out)), wrt...)
		if err := g.Err(); err != nil {
			t.Fatalf("Grad: %v\n%s", err, graph.Format(out))
		}
		sameOptimized(t, grads, fuzzFeeds())
	})
}

func fuzzFeeds() map[string]*tensor.Dense {
	xs := seq(tensor.Float64, 4, 3)
	ys := seq(tensor.Float64, 3, 4)
	for k, v := range xs.Float64s() {
		xs.Float64s()[k] = math.Sin(v)
	}
	for k, v := range ys.Float64s() {
		ys.Float64s()[k] = math.Cos(v) / 2
	}
	return map[string]*tensor.Dense{"x": xs, "y": ys, "k": dense.FromI64(nil, []int64{2})}
}

// sameOptimized runs outs on the reference and optimized (with invariant
// checks after every pass) and fails t unless they agree.
func sameOptimized(t *testing.T, outs []*graph.Node, feeds map[string]*tensor.Dense) {
	var res [2][]*tensor.Dense
	for k, opt := range []exec.Option{exec.Reference(), exec.Debug("")} {
		p, err := exec.Compile(outs, opt)
		if err != nil {
			t.Fatalf("compile: %v\n%s", err, graph.Format(outs...))
		}
		r, err := p.Run(feeds)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		res[k] = r
	}
	for o := range outs {
		w, got := dense.F64(res[0][o]), dense.F64(res[1][o])
		for k := range w {
			if math.Abs(w[k]-got[k]) > 1e-9*math.Max(1, math.Abs(w[k])) || math.IsNaN(got[k]) != math.IsNaN(w[k]) {
				t.Fatalf("output %d element %d: optimized %v, reference %v\n%s", o, k, got[k], w[k], graph.Format(outs...))
			}
		}
	}
}
