package optest

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/vmap"
)

// Runner compiles and runs outputs with feeds (an executor under test).
type Runner func(outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error)

const batch = 3

// Shapes checks every case's shape rule against the shape run produces.
func Shapes(t *testing.T, run Runner) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			r := rand.New(rand.NewSource(1))
			g := graph.New()
			feeds := map[string]*tensor.Dense{}
			xs := make([]*graph.Node, len(c.Args))
			for k, a := range c.Args {
				name := fmt.Sprintf("x%d", k)
				xs[k] = g.Input(name, a.DType, a.Shape...)
				feeds[name] = a.Value(r)
			}
			y := c.Build(xs...)
			if err := g.Err(); err != nil {
				t.Fatalf("build: %v", err)
			}
			got, err := run([]*graph.Node{y}, feeds)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if s := dense.Shape(got[0]); !slices.Equal(s, y.Shape()) {
				t.Fatalf("shape rule says %v, result has %v", y.Shape(), s)
			}
			if got[0].Dtype() != y.DType() {
				t.Fatalf("dtype rule says %v, result has %v", y.DType(), got[0].Dtype())
			}
		})
	}
}

// Loops checks, for every case, that vmap.For over the op equals the Go loop
// of per-example reference results, for every mapped/unmapped combination of
// its operands (mapped on the leading dim), for all operands mapped on their
// last dim, and for nested loops over two axes.
func Loops(t *testing.T, run, reference Runner) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			n := len(c.Args)
			for mask := 0; mask < 1<<n; mask++ {
				dims := make([]int, n)
				for k := range dims {
					dims[k] = -1
					if mask&(1<<k) != 0 {
						dims[k] = 0
					}
				}
				t.Run(fmt.Sprint("dims", dims), func(t *testing.T) { loopCase(t, c, dims, run, reference) })
			}
			last := make([]int, n)
			for k, a := range c.Args {
				last[k] = len(a.Shape)
			}
			t.Run(fmt.Sprint("dims", last), func(t *testing.T) { loopCase(t, c, last, run, reference) })
			t.Run("nested", func(t *testing.T) { nestedCase(t, c, run, reference) })
		})
	}
}

// loopCase maps operand k over a loop axis on dim dims[k] (-1: shared).
func loopCase(t *testing.T, c Case, dims []int, run, reference Runner) {
	r := rand.New(rand.NewSource(int64(len(c.Name))))
	vals := make([]*tensor.Dense, len(c.Args))
	for k, a := range c.Args {
		if dims[k] < 0 {
			vals[k] = a.Value(r)
		} else {
			vals[k] = moveDim(a.Value(r, batch), dims[k])
		}
	}
	g := graph.New()
	i := g.Axis("i", 0)
	feeds := map[string]*tensor.Dense{}
	xs := make([]*graph.Node, len(c.Args))
	for k, a := range c.Args {
		name := fmt.Sprintf("x%d", k)
		xs[k] = g.Input(name, a.DType, dense.Shape(vals[k])...)
		feeds[name] = vals[k]
	}
	if !slices.ContainsFunc(dims, func(d int) bool { return d >= 0 }) {
		i = g.Axis("i", batch) // nothing sizes it: the body is broadcast
	}
	y := vmap.For(i).Do(func() *graph.Node {
		args := make([]*graph.Node, len(xs))
		for k, x := range xs {
			args[k] = x
			if dims[k] >= 0 {
				args[k] = x.At(indexWith(x.Rank(), dims[k], i)...)
			}
		}
		return c.Build(args...)
	})
	if err := g.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	got, err := run([]*graph.Node{y}, feeds)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for b := 0; b < batch; b++ {
		ex := make([]*tensor.Dense, len(vals))
		for k, v := range vals {
			ex[k] = v
			if dims[k] >= 0 {
				ex[k] = dense.Take(v, dims[k], b)
			}
		}
		want := single(t, c, ex, reference)
		Close(t, fmt.Sprintf("index %d", b), dense.Take(got[0], 0, b), want)
	}
}

// nestedCase: For(i, j); operand 0 is mapped over both (stored [j, i, ...]
// to check axis order), operand 1 over j only, the rest shared.
func nestedCase(t *testing.T, c Case, run, reference Runner) {
	const ni, nj = 2, 3
	r := rand.New(rand.NewSource(7))
	vals := make([]*tensor.Dense, len(c.Args))
	for k, a := range c.Args {
		switch k {
		case 0:
			vals[k] = a.Value(r, nj, ni)
		case 1:
			vals[k] = a.Value(r, nj)
		default:
			vals[k] = a.Value(r)
		}
	}
	g := graph.New()
	i, j := g.Axis("i", 0), g.Axis("j", 0)
	feeds := map[string]*tensor.Dense{}
	xs := make([]*graph.Node, len(c.Args))
	for k, a := range c.Args {
		name := fmt.Sprintf("x%d", k)
		xs[k] = g.Input(name, a.DType, dense.Shape(vals[k])...)
		feeds[name] = vals[k]
	}
	y := vmap.For(i, j).Do(func() *graph.Node {
		args := append([]*graph.Node(nil), xs...)
		args[0] = xs[0].At(append([]any{j, i}, alls(len(c.Args[0].Shape))...)...)
		if len(args) > 1 {
			args[1] = xs[1].At(append([]any{j}, alls(len(c.Args[1].Shape))...)...)
		}
		return c.Build(args...)
	})
	if err := g.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	got, err := run([]*graph.Node{y}, feeds)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if s := dense.Shape(got[0]); s[0] != ni || s[1] != nj {
		t.Fatalf("nested result shape %v, want [%d %d ...]", s, ni, nj)
	}
	for a := 0; a < ni; a++ {
		for b := 0; b < nj; b++ {
			ex := append([]*tensor.Dense(nil), vals...)
			ex[0] = dense.Take(dense.Take(vals[0], 0, b), 0, a)
			if len(ex) > 1 {
				ex[1] = dense.Take(vals[1], 0, b)
			}
			want := single(t, c, ex, reference)
			Close(t, fmt.Sprintf("index (%d,%d)", a, b), dense.Take(dense.Take(got[0], 0, a), 0, b), want)
		}
	}
}

// single runs the case on one example with the reference runner.
func single(t *testing.T, c Case, vals []*tensor.Dense, reference Runner) *tensor.Dense {
	t.Helper()
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	xs := make([]*graph.Node, len(vals))
	for k, v := range vals {
		name := fmt.Sprintf("x%d", k)
		xs[k] = g.Input(name, v.Dtype(), dense.Shape(v)...)
		feeds[name] = v
	}
	y := c.Build(xs...)
	out, err := reference([]*graph.Node{y}, feeds)
	if err != nil {
		t.Fatalf("single example: %v", err)
	}
	return out[0]
}

func alls(n int) []any {
	out := make([]any, n)
	for k := range out {
		out[k] = graph.All
	}
	return out
}

func indexWith(rank, dim int, a *graph.Axis) []any {
	ix := alls(rank)
	ix[dim] = a
	return ix
}

// moveDim moves dim 0 of t to position d.
func moveDim(t *tensor.Dense, d int) *tensor.Dense {
	if d == 0 {
		return t
	}
	s := dense.Shape(t)
	shape := append(append(append([]int{}, s[1:d+1]...), s[0]), s[d+1:]...)
	out := dense.Zeros(t.Dtype(), shape)
	for b := 0; b < s[0]; b++ {
		dense.Put(out, d, b, dense.Take(t, 0, b))
	}
	return out
}

// Close fails t unless got and want agree in shape, dtype and values
// (relative 1e-12 for float64, 1e-5 for float32, exact otherwise).
func Close(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	if !slices.Equal(dense.Shape(got), dense.Shape(want)) || got.Dtype() != want.Dtype() {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.Dtype(), got.Shape(), want.Dtype(), want.Shape())
	}
	tol := 0.0
	switch got.Dtype() {
	case tensor.Float64:
		tol = 1e-12
	case tensor.Float32:
		tol = 1e-5
	}
	g, w := dense.F64(got), dense.F64(want)
	for k := range g {
		if math.IsNaN(w[k]) || math.IsNaN(g[k]) || math.IsInf(w[k], 0) {
			// NaN and ±Inf must match exactly: |diff| > tol is false for NaN.
			if !(math.IsNaN(w[k]) && math.IsNaN(g[k])) && g[k] != w[k] {
				t.Fatalf("%s: element %d = %v, want %v", what, k, g[k], w[k])
			}
			continue
		}
		if d := math.Abs(g[k] - w[k]); d > tol*math.Max(1, math.Abs(w[k])) {
			t.Fatalf("%s: element %d = %v, want %v (|diff| %g)", what, k, g[k], w[k], d)
		}
	}
}

// Programs builds, for every case, the loop programs Loops checks (each
// mapped/unmapped combination and the nested loop), without running them:
// for tests that inspect what lowering makes of them.
func Programs() map[string][]*graph.Node {
	out := map[string][]*graph.Node{}
	for name, p := range Fed(rand.New(rand.NewSource(1))) {
		out[name] = p.Outs
	}
	return out
}

// Program is a loop program of the suite with random feeds for its inputs.
type Program struct {
	Outs  []*graph.Node
	Feeds map[string]*tensor.Dense
}

// Fed is Programs with feeds drawn from r: for tests that run every step of
// the optimizer on them.
func Fed(r *rand.Rand) map[string]Program {
	out := map[string]Program{}
	for _, c := range Cases() {
		n := len(c.Args)
		for mask := 0; mask < 1<<n; mask++ {
			g := graph.New()
			i := g.Axis("i", batch)
			xs := make([]*graph.Node, n)
			feeds := map[string]*tensor.Dense{}
			for k, a := range c.Args {
				shape := a.Shape
				if mask&(1<<k) != 0 {
					shape = append([]int{batch}, a.Shape...)
				}
				xs[k] = g.Input(fmt.Sprint("x", k), a.DType, shape...)
				if mask&(1<<k) != 0 {
					feeds[fmt.Sprint("x", k)] = a.Value(r, batch)
				} else {
					feeds[fmt.Sprint("x", k)] = a.Value(r)
				}
			}
			y := vmap.For(i).Do(func() *graph.Node {
				args := append([]*graph.Node(nil), xs...)
				for k := range args {
					if mask&(1<<k) != 0 {
						args[k] = xs[k].At(indexWith(xs[k].Rank(), 0, i)...)
					}
				}
				return c.Build(args...)
			})
			out[fmt.Sprintf("%s/mask%d", c.Name, mask)] = Program{[]*graph.Node{y}, feeds}
		}
	}
	return out
}
