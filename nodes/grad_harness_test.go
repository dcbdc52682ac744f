package nodes_test

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/vmap"
)

// The VJP rules are checked here directly, without autodiff: each case
// applies one op to inputs, calls the op's VJP with a random cotangent c, and
//   - at top level, compares Σₖ <x̄ₖ, dxₖ> with the central difference
//     <c, (f(x+h·dx) - f(x-h·dx)) / 2h> along random directions dx (float64);
//   - inside a vmap loop (the VJP called while the body is traced, as
//     autodiff does for loops), compares every index's cotangents with the
//     top-level rule's on that example, on the reference interpreter and on
//     the optimized CPU backend.

// gGen makes one example of an operand.
type gGen func(r *rand.Rand) *tensor.Dense

// gradCase is one op applied to operands; build must apply exactly one op to
// its arguments (the op whose VJP is checked).
type gradCase struct {
	name  string
	args  []gGen
	build func(x ...*graph.Node) *graph.Node
}

func gUniform(shape ...int) gGen {
	return gFill(tensor.Float64, shape, func(r *rand.Rand) float64 { return 2*r.Float64() - 1 })
}
func gPos(shape ...int) gGen {
	return gFill(tensor.Float64, shape, func(r *rand.Rand) float64 { return 0.2 + r.Float64() })
}
func gInts(shape ...int) gGen {
	return gFill(tensor.Int64, shape, func(r *rand.Rand) float64 { return float64(r.Intn(7) - 3) })
}

// gAway stays at least 0.1 away from 0 (the kinks of Relu and Abs).
func gAway(shape ...int) gGen {
	return gFill(tensor.Float64, shape, func(r *rand.Rand) float64 {
		v := 0.1 + 0.9*r.Float64()
		if r.Intn(2) == 0 {
			return -v
		}
		return v
	})
}

func gFill(dt tensor.Dtype, shape []int, f func(r *rand.Rand) float64) gGen {
	return func(r *rand.Rand) *tensor.Dense {
		v := make([]float64, dense.Size(shape))
		for k := range v {
			v[k] = f(r)
		}
		return dense.FromF64(dt, shape, v)
	}
}

// gWell is a diagonally dominant (well-conditioned) n×n matrix, with nb
// leading batch dims of the given sizes.
func gWell(n int, batch ...int) gGen {
	return func(r *rand.Rand) *tensor.Dense {
		shape := append(append([]int{}, batch...), n, n)
		v := make([]float64, dense.Size(shape))
		for k := range v {
			v[k] = 2*r.Float64() - 1
			if k%(n*n)%(n+1) == 0 {
				v[k] += float64(n) + 1
			}
		}
		return dense.FromF64(tensor.Float64, shape, v)
	}
}

// gSPD is a symmetric positive definite n×n matrix M·Mᵀ + n·I per batch index.
func gSPD(n int, batch ...int) gGen {
	return func(r *rand.Rand) *tensor.Dense {
		shape := append(append([]int{}, batch...), n, n)
		v := make([]float64, dense.Size(shape))
		for b := 0; b < len(v); b += n * n {
			m := make([]float64, n*n)
			for k := range m {
				m[k] = 2*r.Float64() - 1
			}
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					for k := 0; k < n; k++ {
						v[b+i*n+j] += m[i*n+k] * m[j*n+k]
					}
				}
				v[b+i*n+i] += float64(n)
			}
		}
		return dense.FromF64(tensor.Float64, shape, v)
	}
}

func gF32(shape ...int) gGen {
	return gFill(tensor.Float32, shape, func(r *rand.Rand) float64 { return 2*r.Float64() - 1 })
}

// gradRun checks one case at top level and in loops.
func gradRun(t *testing.T, c gradCase) {
	t.Run(c.name, func(t *testing.T) {
		gradTop(t, c)
		for _, shared := range []bool{false, true} {
			for _, be := range []struct {
				name string
				opt  exec.Option
			}{{"ref", exec.Reference()}, {"cpu", exec.OnCPU()}} {
				t.Run(fmt.Sprintf("loop/shared=%v/%s", shared, be.name), func(t *testing.T) { gradLoop(t, c, shared, be.opt) })
			}
		}
	})
}

// gradBuild applies the case to fresh inputs holding vals and calls the VJP
// with a cotangent input "ct".
func gradBuild(t *testing.T, c gradCase, vals []*tensor.Dense) (xs []*graph.Node, y, ct *graph.Node, gs []*graph.Node) {
	t.Helper()
	g := graph.New()
	xs = make([]*graph.Node, len(vals))
	for k, v := range vals {
		xs[k] = g.Input(fmt.Sprint("x", k), v.Dtype(), dense.Shape(v)...)
	}
	y = c.build(xs...)
	require.NoError(t, g.Err())
	require.Equal(t, xs, y.Inputs(), "build must apply one op to its arguments")
	ct = g.Input("ct", y.DType(), y.Shape()...)
	gs, err := y.Op().VJP(y.Inputs(), y, ct)
	require.NoError(t, err)
	require.NoError(t, g.Err())
	require.Len(t, gs, len(xs))
	for k, x := range xs {
		if !graph.IsFloat(x.DType()) || !graph.IsFloat(y.DType()) {
			require.Nil(t, gs[k], "%v operand %d of a %v result: no cotangent", x.DType(), k, y.DType())
			continue
		}
		require.NotNil(t, gs[k], "operand %d", k)
		require.Equal(t, x.Shape(), gs[k].Shape(), "operand %d cotangent shape", k)
		require.Equal(t, x.DType(), gs[k].DType(), "operand %d cotangent dtype", k)
	}
	return xs, y, ct, gs
}

const gradH = 1e-6

func gradTop(t *testing.T, c gradCase) {
	r := rand.New(rand.NewSource(int64(len(c.name))))
	vals := make([]*tensor.Dense, len(c.args))
	for k, gen := range c.args {
		vals[k] = gen(r)
	}
	xs, y, ct, gs := gradBuild(t, c, vals)
	cv := dense.FromF64(y.DType(), y.Shape(), gUniformVals(r, dense.Size(y.Shape())))
	feeds := map[*graph.Node]*tensor.Dense{ct: cv}
	for k, x := range xs {
		feeds[x] = vals[k]
	}
	var outs []*graph.Node
	for _, g := range gs {
		if g != nil {
			outs = append(outs, g)
		}
	}
	if len(outs) == 0 {
		return
	}
	gv := evalRef(t, feeds, outs...)
	if y.DType() != tensor.Float64 {
		return // directional differences need float64
	}
	for trial := 0; trial < 2; trial++ {
		lhs := 0.0
		plus, minus := map[*graph.Node]*tensor.Dense{}, map[*graph.Node]*tensor.Dense{}
		j := 0
		for k, x := range xs {
			plus[x], minus[x] = vals[k], vals[k]
			if gs[k] == nil {
				continue
			}
			dx := gUniformVals(r, vals[k].Size())
			v := dense.F64(vals[k])
			p, m := make([]float64, len(v)), make([]float64, len(v))
			for e := range v {
				p[e], m[e] = v[e]+gradH*dx[e], v[e]-gradH*dx[e]
				lhs += dense.F64(gv[j])[e] * dx[e]
			}
			plus[x], minus[x] = dense.FromF64(tensor.Float64, x.Shape(), p), dense.FromF64(tensor.Float64, x.Shape(), m)
			j++
		}
		fp, fm := dense.F64(evalRef(t, plus, y)[0]), dense.F64(evalRef(t, minus, y)[0])
		rhs := 0.0
		for e, cw := range dense.F64(cv) {
			rhs += cw * (fp[e] - fm[e]) / (2 * gradH)
		}
		require.InDelta(t, rhs, lhs, 1e-6*math.Max(1, math.Abs(rhs)), "direction %d: VJP gives %v, central differences %v", trial, lhs, rhs)
	}
}

func gUniformVals(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for k := range v {
		v[k] = 2*r.Float64() - 1
	}
	return v
}

// gradLoop maps every operand (or, when shared, only operand 0) over a loop
// of 3, calls the VJP inside the body, and compares each index's cotangents
// with the top-level rule's on that example.
func gradLoop(t *testing.T, c gradCase, shared bool, opt exec.Option) {
	const n = 3
	r := rand.New(rand.NewSource(11))
	mapped := make([]bool, len(c.args))
	ex := make([][]*tensor.Dense, n) // ex[b][k]: operand k at index b
	for b := range ex {
		ex[b] = make([]*tensor.Dense, len(c.args))
	}
	for k, gen := range c.args {
		mapped[k] = k == 0 || !shared
		v := gen(r)
		for b := range ex {
			if mapped[k] && b > 0 {
				v = gen(r)
			}
			ex[b][k] = v
		}
	}
	_, y0, _, gs0 := gradBuild(t, c, ex[0])
	cts := make([]*tensor.Dense, n)
	for b := range cts {
		cts[b] = dense.FromF64(y0.DType(), y0.Shape(), gUniformVals(r, dense.Size(y0.Shape())))
	}
	g := graph.New()
	i := g.Axis("i", n)
	feeds := map[string]*tensor.Dense{"ct": gStack(cts)}
	xs := make([]*graph.Node, len(c.args))
	for k := range c.args {
		name := fmt.Sprint("x", k)
		feeds[name] = ex[0][k]
		if mapped[k] {
			feeds[name] = gStack(gColumn(ex, k))
		}
		xs[k] = g.Input(name, feeds[name].Dtype(), dense.Shape(feeds[name])...)
	}
	ctIn := g.Input("ct", y0.DType(), dense.Shape(feeds["ct"])...)
	var outs []*graph.Node
	var which []int
	for k := range xs {
		if gs0[k] == nil {
			continue
		}
		which = append(which, k)
		outs = append(outs, vmap.For(i).Do(func() *graph.Node {
			args := make([]*graph.Node, len(xs))
			for j, x := range xs {
				args[j] = x
				if mapped[j] {
					args[j] = x.At(gAt(x.Rank(), i)...)
				}
			}
			y := c.build(args...)
			gs, err := y.Op().VJP(y.Inputs(), y, ctIn.At(gAt(ctIn.Rank(), i)...))
			require.NoError(t, err)
			return gs[k]
		}))
	}
	if len(outs) == 0 {
		return
	}
	require.NoError(t, g.Err())
	p, err := exec.Compile(outs, opt)
	require.NoError(t, err)
	got, err := p.Run(feeds)
	require.NoError(t, err)
	for b := 0; b < n; b++ {
		xs0, _, ct0, gsb := gradBuild(t, c, ex[b])
		f := map[*graph.Node]*tensor.Dense{ct0: cts[b]}
		for k, x := range xs0 {
			f[x] = ex[b][k]
		}
		for j, k := range which {
			want := evalRef(t, f, gsb[k])[0]
			gClose(t, fmt.Sprintf("index %d, operand %d", b, k), dense.Take(got[j], 0, b), want)
		}
	}
}

// gAt indexes dim 0 of a rank-r value with axis a.
func gAt(r int, a *graph.Axis) []any {
	ix := []any{a}
	for k := 1; k < r; k++ {
		ix = append(ix, graph.All)
	}
	return ix
}

func gColumn(ex [][]*tensor.Dense, k int) []*tensor.Dense {
	out := make([]*tensor.Dense, len(ex))
	for b := range ex {
		out[b] = ex[b][k]
	}
	return out
}

// gStack stacks equal-shaped values along a new dim 0.
func gStack(vs []*tensor.Dense) *tensor.Dense {
	out := dense.Zeros(vs[0].Dtype(), append([]int{len(vs)}, dense.Shape(vs[0])...))
	for b, v := range vs {
		dense.Put(out, 0, b, v)
	}
	return out
}

// gClose compares values to 1e-9 relative (float64), 1e-4 (float32).
func gClose(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	require.True(t, slices.Equal(dense.Shape(got), dense.Shape(want)), "%s: shape %v, want %v", what, dense.Shape(got), dense.Shape(want))
	require.Equal(t, want.Dtype(), got.Dtype(), what)
	tol := 1e-9
	if got.Dtype() == tensor.Float32 {
		tol = 1e-4
	}
	g, w := dense.F64(got), dense.F64(want)
	for e := range w {
		require.InDelta(t, w[e], g[e], tol*math.Max(1, math.Abs(w[e])), "%s: element %d", what, e)
	}
}
