package cpu

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
)

// Every kernel in reduce.go, shape.go, gather.go and where.go is checked
// against its op's reference rule (what exec/ref runs) on random shapes,
// dtypes and parameters, including size-0 and size-1 dims and rank 0.

func randT(r *rand.Rand, dt tensor.Dtype, shape []int) *tensor.Dense {
	n := dense.Size(shape)
	switch dt {
	case tensor.Int64:
		v := make([]int64, n)
		for k := range v {
			v[k] = r.Int63n(200) - 100
		}
		return dense.FromI64(shape, v)
	case tensor.Bool:
		v := make([]bool, n)
		for k := range v {
			v[k] = r.Intn(2) == 0
		}
		return dense.FromBools(shape, v)
	}
	v := make([]float64, n)
	for k := range v {
		v[k] = r.NormFloat64() * 3
	}
	return dense.FromF64(dt, shape, v)
}

func randShape(r *rand.Rand, rank int, sizes ...int) []int {
	s := make([]int, rank)
	for k := range s {
		s[k] = sizes[r.Intn(len(sizes))]
	}
	return s
}

// same runs n's kernel and its reference rule on args: both must agree, on
// the value or on the error. The kernel must handle the case itself unless
// mayDecline (empty values, which the reference handles).
func same(t *testing.T, what string, n *graph.Node, args []*tensor.Dense, mayDecline bool) {
	t.Helper()
	require.NoError(t, n.Err(), what)
	k := kernelFor(n)
	require.NotNil(t, k, "%s: no kernel for %s", what, n.Op().Name())
	want, werr := n.Op().Eval(args)
	got, ok, gerr := k(n, args, nil)
	if !ok && gerr == nil {
		require.True(t, mayDecline, "%s: kernel declined %s %v", what, n.Op().Name(), n.Type())
		return
	}
	if werr != nil || gerr != nil {
		require.Error(t, werr, "%s: kernel failed (%v), reference did not", what, gerr)
		require.Error(t, gerr, "%s: reference failed (%v), kernel did not", what, werr)
		assert.Equal(t, werr.Error(), gerr.Error(), what)
		return
	}
	require.Equal(t, want.Dtype(), got.Dtype(), what)
	require.Equal(t, dense.Shape(want), dense.Shape(got), what)
	switch want.Dtype() {
	case tensor.Int64:
		assert.Equal(t, want.Int64s(), got.Int64s(), what)
	case tensor.Bool:
		assert.Equal(t, want.Bools(), got.Bools(), what)
	default:
		// optest.Close lets a NaN or an infinity pass against any value
		// (its |diff| > tol test is false for NaN); check those exactly.
		g, w := dense.F64(got), dense.F64(want)
		for k := range w {
			if math.IsNaN(w[k]) || math.IsInf(w[k], 0) || math.IsNaN(g[k]) || math.IsInf(g[k], 0) {
				require.True(t, math.IsNaN(w[k]) && math.IsNaN(g[k]) || w[k] == g[k], "%s: element %d = %v, want %v", what, k, g[k], w[k])
			}
		}
		optest.Close(t, what, got, want)
	}
}

func input(g *graph.Graph, dt tensor.Dtype, shape []int) *graph.Node {
	return g.Input("x", dt, shape...)
}

func TestReduceKernel(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	kinds := []nodes.ReduceKind{nodes.RedSum, nodes.RedMean, nodes.RedMax, nodes.RedMin, nodes.RedLogSumExp}
	shapes := [][]int{{}, {1}, {7}, {0, 3}, {3, 0}, {1, 1, 4}, {300, 257}, {2, 70001}, {3, 5, 1, 4}, {64, 3, 40, 9}, {5, 1, 300, 1}}
	for range 40 {
		shapes = append(shapes, randShape(r, 1+r.Intn(4), 1, 2, 3, 5, 17))
	}
	for _, shape := range shapes {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, kind := range kinds {
				axesSets := [][]int{nil, {}}
				for range 3 {
					var axes []int
					for d := range shape {
						if r.Intn(2) == 0 {
							axes = append(axes, d)
						}
					}
					axesSets = append(axesSets, axes)
				}
				for _, axes := range axesSets {
					g := graph.New()
					n := graph.Apply(&nodes.Reduce{Kind: kind, Axes: axes}, input(g, dt, shape))
					if n.Err() != nil { // Max of nothing: a build error
						continue
					}
					x := randT(r, dt, shape)
					same(t, kind.String(), n, []*tensor.Dense{x}, x.Size() == 0)
				}
			}
		}
	}
}

// As the reference (math.Max/Min folds): NaN wins max and min except over
// +Inf (max) or -Inf (min), and log-sum-exp follows its max; a reduction of
// -Inf only is -Inf. Mixed NaN and ±Inf runs are checked too.
func TestReduceKernelSpecials(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, shape := range [][]int{{4, 9}, {9, 4}, {3, 5, 7}, {200000}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, special := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				x := randT(r, dt, shape)
				v := dense.F64(x)
				for k := range v {
					if r.Intn(7) == 0 {
						v[k] = special
					}
				}
				v[len(v)/2] = special
				if r.Intn(2) == 0 { // a NaN and an infinity in one run
					v[len(v)/3], v[len(v)-1] = math.NaN(), math.Inf(1-2*r.Intn(2))
				}
				x = dense.FromF64(dt, shape, v)
				for _, kind := range []nodes.ReduceKind{nodes.RedSum, nodes.RedMax, nodes.RedMin, nodes.RedLogSumExp} {
					for _, axes := range [][]int{nil, {0}, {len(shape) - 1}} {
						g := graph.New()
						n := graph.Apply(&nodes.Reduce{Kind: kind, Axes: axes}, input(g, dt, shape))
						same(t, kind.String()+" with specials", n, []*tensor.Dense{x}, false)
					}
				}
			}
		}
	}
	// One NaN deep inside long runs (past the vector kernel's first block).
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, at := range []int{0, 517, 998, 999} {
			x := randT(r, dt, []int{3, 1000})
			v := dense.F64(x)
			v[1000+at] = math.NaN()
			x = dense.FromF64(dt, []int{3, 1000}, v)
			for _, kind := range []nodes.ReduceKind{nodes.RedMax, nodes.RedMin, nodes.RedLogSumExp} {
				g := graph.New()
				n := graph.Apply(&nodes.Reduce{Kind: kind, Axes: []int{1}}, input(g, dt, []int{3, 1000}))
				same(t, kind.String()+" with one NaN", n, []*tensor.Dense{x}, false)
			}
		}
	}
	g := graph.New()
	n := graph.Apply(&nodes.Reduce{Kind: nodes.RedLogSumExp, Axes: []int{1}}, input(g, tensor.Float32, []int{2, 3}))
	x := dense.FromF64(tensor.Float32, []int{2, 3}, []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), 1, 2, 3})
	same(t, "log-sum-exp of -Inf", n, []*tensor.Dense{x}, false)
}

var allTypes = []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Bool}

func TestBroadcastKernel(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for range 60 {
		out := randShape(r, r.Intn(5), 0, 1, 2, 3, 6)
		if r.Intn(10) == 0 {
			out = []int{300, 2, 100}
		}
		var dims, xs []int
		for d, s := range out {
			if r.Intn(2) == 0 {
				dims, xs = append(dims, d), append(xs, s)
			}
		}
		for _, dt := range allTypes {
			g := graph.New()
			n := graph.Apply(&nodes.BroadcastOp{Shape: out, Dims: dims}, input(g, dt, xs))
			same(t, "Broadcast", n, []*tensor.Dense{randT(r, dt, xs)}, false)
		}
	}
}

func TestWhereKernel(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, shape := range [][]int{{}, {0}, {5}, {3, 4}, {2, 0, 3}, {100, 1000}} {
		for _, dt := range allTypes {
			for mask := range 8 { // which operands are rank-0
				g := graph.New()
				sh := func(k int) []int {
					if mask&(1<<k) != 0 {
						return nil
					}
					return shape
				}
				c := g.Input("c", tensor.Bool, sh(0)...)
				a := g.Input("a", dt, sh(1)...)
				b := g.Input("b", dt, sh(2)...)
				n := nodes.Where(c, a, b)
				args := []*tensor.Dense{randT(r, tensor.Bool, sh(0)), randT(r, dt, sh(1)), randT(r, dt, sh(2))}
				same(t, "Where", n, args, false)
			}
		}
	}
}

func TestSelectUnselectKernels(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for range 80 {
		shape := randShape(r, 1+r.Intn(4), 1, 2, 4, 7)
		if r.Intn(10) == 0 {
			shape = []int{90, 130, 3}
		}
		sels := make([]graph.Sel, len(shape))
		var picked []int
		for k, s := range shape {
			switch r.Intn(3) {
			case 0:
				sels[k] = graph.Sel{Keep: true}
				picked = append(picked, s)
			case 1:
				sels[k] = graph.Sel{Drop: true, I: r.Intn(s)}
			default:
				lo := r.Intn(s)
				hi := lo + r.Intn(s-lo+1)
				step := 1 + r.Intn(3)
				sels[k] = graph.Sel{S: graph.Span(lo, hi, step)}
				c := 0
				if hi > lo {
					c = (hi - lo + step - 1) / step
				}
				picked = append(picked, c)
			}
		}
		for _, dt := range allTypes {
			g := graph.New()
			n := graph.Apply(&graph.Select{Sels: sels}, input(g, dt, shape))
			same(t, "Select", n, []*tensor.Dense{randT(r, dt, shape)}, false)
			u := graph.Apply(&graph.Unselect{Sels: sels, Shape: shape}, g.Input("y", dt, picked...))
			same(t, "Unselect", u, []*tensor.Dense{randT(r, dt, picked)}, dense.Size(picked) == 0)
		}
	}
}

func TestConcatStackKernels(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for range 40 {
		rank := 1 + r.Intn(3)
		base := randShape(r, rank, 0, 1, 2, 5)
		if r.Intn(8) == 0 {
			base = []int{400, 3, 50}
			rank = 3
		}
		axis := r.Intn(rank)
		if axis == 0 { // the natural Concat joins vectors
			base = base[:1]
		}
		for _, dt := range allTypes {
			g := graph.New()
			var xs []*graph.Node
			var args []*tensor.Dense
			for p := range 1 + r.Intn(4) {
				s := slices.Clone(base)
				s[axis] = r.Intn(4)
				xs = append(xs, g.Input(string(rune('a'+p)), dt, s...))
				args = append(args, randT(r, dt, s))
			}
			same(t, "Concat", graph.Apply(&nodes.ConcatOp{Axis: axis}, xs...), args, false)

			var ys []*graph.Node
			var yargs []*tensor.Dense
			for p := range 1 + r.Intn(4) {
				ys = append(ys, g.Input(string(rune('p'+p)), dt, base...))
				yargs = append(yargs, randT(r, dt, base))
			}
			same(t, "Stack", graph.Apply(&nodes.StackOp{Axis: r.Intn(len(base) + 1)}, ys...), yargs, false)
		}
	}
}

// randIndex is an int64 index tensor in [0, n), with one bad entry when bad.
func randIndex(r *rand.Rand, shape []int, n int, bad bool) *tensor.Dense {
	v := make([]int64, dense.Size(shape))
	for k := range v {
		v[k] = r.Int63n(int64(max(1, n)))
	}
	if bad && len(v) > 0 {
		v[r.Intn(len(v))] = []int64{-1, int64(n), int64(n) + 5}[r.Intn(3)]
	}
	return dense.FromI64(shape, v)
}

func TestGatherTakeScatterKernels(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for it := range 60 {
		xs := randShape(r, 1+r.Intn(3), 1, 2, 3, 6)
		if it%10 == 0 {
			xs = []int{500, 64} // an embedding table
		}
		dim := r.Intn(len(xs))
		bad := it%4 == 3
		for _, dt := range allTypes {
			g := graph.New()
			x := input(g, dt, xs)
			i := g.Input("i", tensor.Int64)
			n := graph.Apply(&graph.Gather{Dim: dim}, x, i)
			same(t, "Gather", n, []*tensor.Dense{randT(r, dt, xs), randIndex(r, nil, xs[dim], bad)}, false)

			// Take: index dims [P..., I...], P pairing with x's dims before dim.
			var pairs, is []int
			for d := 0; d < dim; d++ {
				if r.Intn(2) == 0 {
					pairs, is = append(pairs, d), append(is, xs[d])
				}
			}
			is = append(is, randShape(r, r.Intn(3), 1, 2, 3, 40)...)
			tk := graph.Apply(&graph.TakeOp{Dim: dim, Pairs: pairs}, x, g.Input("j", tensor.Int64, is...))
			idx := randIndex(r, is, xs[dim], bad)
			same(t, "Take", tk, []*tensor.Dense{randT(r, dt, xs), idx}, dense.Size(tk.Shape()) == 0)

			if dt != tensor.Float32 && dt != tensor.Float64 {
				continue
			}
			// Scatter is take's transpose: values shaped like take's result.
			vs := tk.Shape()
			sc := graph.Apply(&graph.Scatter{Dim: dim, Pairs: pairs, Size: xs[dim]}, g.Input("v", dt, vs...), g.Input("k", tensor.Int64, is...))
			same(t, "Scatter", sc, []*tensor.Dense{randT(r, dt, vs), idx}, dense.Size(vs) == 0)
		}
	}
}

func TestCastOuterKernels(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	for _, shape := range [][]int{{}, {0}, {7}, {3, 4}, {100, 1000}} {
		for _, c := range [][2]tensor.Dtype{{tensor.Float32, tensor.Float64}, {tensor.Float64, tensor.Float32}, {tensor.Int64, tensor.Float32}, {tensor.Float32, tensor.Float32}} {
			g := graph.New()
			n := nodes.Cast(input(g, c[0], shape), c[1])
			handled := c[0] != c[1] && c[0] != tensor.Int64
			same(t, "Cast", n, []*tensor.Dense{randT(r, c[0], shape)}, !handled)
		}
	}
	for _, mn := range [][2]int{{1, 1}, {5, 7}, {0, 3}, {300, 200}} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64} {
			g := graph.New()
			n := nodes.Outer(g.Input("a", dt, mn[0]), g.Input("b", dt, mn[1]))
			same(t, "Outer", n, []*tensor.Dense{randT(r, dt, mn[:1]), randT(r, dt, mn[1:])}, dt == tensor.Int64)
		}
	}
}

// Comparisons give the reference's masks: equal shapes, a scalar on either
// side, NaNs (every comparison with NaN is false) and ties.
func TestCompareKernel(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, k := range []func(a, b *graph.Node) *graph.Node{nodes.Less, nodes.Greater, nodes.Equal} {
			for _, shapes := range [][2][]int{{{64, 300}, {64, 300}}, {{}, {5000}}, {{7, 9}, {}}, {{}, {}}} {
				a, b := randT(r, dt, shapes[0]), randT(r, dt, shapes[1])
				av, bv := dense.F64(a), dense.F64(b)
				for i := range av {
					switch i % 5 {
					case 1:
						av[i] = math.NaN()
					case 2:
						av[i] = bv[i%len(bv)] // a tie
					}
				}
				a = dense.FromF64(dt, shapes[0], av)
				g := graph.New()
				n := k(g.Input("a", dt, shapes[0]...), g.Input("b", dt, shapes[1]...))
				same(t, fmt.Sprintf("%s %v %v", n.Op().Name(), dt, shapes), n, []*tensor.Dense{a, b}, false)
			}
		}
	}
}
