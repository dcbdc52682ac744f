package optest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// Grads checks every case's gradient against central finite differences:
// loss = Σ op(x)·R for a random constant R, its gradient taken by
// autodiff.Grad with respect to each float operand and run by run, compared
// along random directions d with (loss(x+h·d) − loss(x−h·d)) / 2h evaluated
// by reference. Each case is checked
//   - at top level;
//   - through a loop over a leading batch axis, every operand mapped, and
//     operand 0 mapped with the others shared (their gradients are summed
//     over the loop);
//   - with Grad taken inside the loop body (per-example gradients, vmap of
//     grad) with every operand mapped;
//   - to second order at top level: the loss Σₖ <x̄ₖ, Vₖ> (V random), whose
//     gradient runs the VJPs of the ops the first gradient is built from.
//
// Cases are checked in float64 (float32 operands promoted); a float32 case is
// also run as given, and its gradient compared with the float64 one.
func Grads(t *testing.T, run, reference Runner) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			if !gradCase(c) {
				t.Skip("no float operand or no float result: nothing to differentiate")
			}
			wide := promote(c)
			for _, v := range []gradVariant{gradTop, gradLoopAll, gradLoopShared, gradPerExample, gradSecond} {
				t.Run(v.String(), func(t *testing.T) {
					gradCheck(t, wide, v, run, reference)
					if !sameArgs(c, wide) {
						gradF32(t, c, wide, v, run)
					}
				})
			}
		})
	}
}

// gradVariant is where the case sits relative to loops.
type gradVariant int

const (
	gradTop        gradVariant = iota // no loop
	gradLoopAll                       // in a loop, every operand mapped
	gradLoopShared                    // in a loop, operand 0 mapped, the others shared
	gradPerExample                    // Grad inside the loop body, every operand mapped
	gradSecond                        // the gradient of a gradient, no loop
)

func (v gradVariant) String() string {
	return [...]string{"top", "loop", "loop-shared", "per-example", "second-order"}[v]
}

// gradCase reports whether c has a float operand and a float result.
func gradCase(c Case) bool {
	g := graph.New()
	xs := make([]*graph.Node, len(c.Args))
	float := false
	for k, a := range c.Args {
		xs[k] = g.Input(fmt.Sprint("x", k), a.DType, a.Shape...)
		float = float || graph.IsFloat(a.DType)
	}
	y := c.Build(xs...)
	return float && g.Err() == nil && graph.IsFloat(y.DType())
}

// promote is c with its float32 operands made float64.
func promote(c Case) Case {
	w := c
	w.Args = append([]Arg(nil), c.Args...)
	for k := range w.Args {
		if w.Args[k].DType == tensor.Float32 {
			w.Args[k].DType = tensor.Float64
		}
	}
	return w
}

func sameArgs(a, b Case) bool {
	for k := range a.Args {
		if a.Args[k].DType != b.Args[k].DType {
			return false
		}
	}
	return true
}

// gradProblem is one case in one variant: its operand values, which of them
// are differentiated and which are mapped over the loop, and the weight R.
type gradProblem struct {
	c      Case
	v      gradVariant
	vals   []*tensor.Dense
	wrt    []bool
	mapped []bool
	weight *tensor.Dense
	second []*tensor.Dense // gradSecond: the V of each differentiated operand
}

func gradSetup(c Case, v gradVariant) gradProblem {
	r := rand.New(rand.NewSource(int64(len(c.Name)) + 31*int64(v)))
	p := gradProblem{c: c, v: v, vals: make([]*tensor.Dense, len(c.Args)), wrt: make([]bool, len(c.Args)), mapped: make([]bool, len(c.Args))}
	g := graph.New()
	xs := make([]*graph.Node, len(c.Args))
	for k, a := range c.Args {
		p.mapped[k] = v == gradLoopAll || v == gradPerExample || (v == gradLoopShared && k == 0)
		if p.mapped[k] {
			p.vals[k] = a.Value(r, batch)
		} else {
			p.vals[k] = a.Value(r)
		}
		p.wrt[k] = graph.IsFloat(a.DType)
		xs[k] = g.Input(fmt.Sprint("x", k), a.DType, a.Shape...)
	}
	y := c.Build(xs...) // one example's result: R's shape
	shape := y.Shape()
	if v != gradTop && v != gradSecond {
		shape = append([]int{batch}, shape...)
	}
	p.weight = dense.FromF64(y.DType(), shape, uniform(r, shape))
	if v == gradSecond {
		p.second = make([]*tensor.Dense, len(c.Args))
		for k, x := range p.vals {
			p.second[k] = dense.FromF64(x.Dtype(), dense.Shape(x), uniform(r, dense.Shape(x)))
		}
	}
	return p
}

// build makes the loss on operand nodes xs and, when grad is set, the
// gradients with respect to the differentiated ones.
func (p gradProblem) build(g *graph.Graph, xs []*graph.Node, grad bool) (*graph.Node, []*graph.Node) {
	R := g.Const(p.weight)
	switch p.v {
	case gradTop:
		loss := nodes.Sum(nodes.Mul(p.c.Build(xs...), R))
		return loss, p.grads(loss, xs, grad)
	case gradSecond:
		first := nodes.Sum(nodes.Mul(p.c.Build(xs...), R))
		var loss *graph.Node
		j := 0
		for k, gk := range p.grads(first, xs, true) {
			for !p.wrt[j] {
				j++
			}
			term := nodes.Sum(nodes.Mul(gk, g.Const(p.second[j])))
			if k == 0 {
				loss = term
			} else {
				loss = nodes.Add(loss, term)
			}
			j++
		}
		return loss, p.grads(loss, xs, grad)
	}
	i := g.Axis("i", batch)
	at := func(x *graph.Node) *graph.Node { return x.At(indexWith(x.Rank(), 0, i)...) }
	body := func() []*graph.Node {
		args := append([]*graph.Node(nil), xs...)
		for k := range args {
			if p.mapped[k] {
				args[k] = at(xs[k])
			}
		}
		return args
	}
	y := vmap.For(i).Do(func() *graph.Node { return p.c.Build(body()...) })
	loss := nodes.Sum(nodes.Mul(y, R))
	if p.v != gradPerExample {
		return loss, p.grads(loss, xs, grad)
	}
	// Per example: the gradient of loss_i = Σ op(x_i)·R_i with respect to
	// x_i, stacked over i, is the gradient of Σ_i loss_i.
	var grads []*graph.Node
	for k := range xs {
		if grad && p.wrt[k] {
			grads = append(grads, vmap.For(i).Do(func() *graph.Node {
				args := body()
				li := nodes.Sum(nodes.Mul(p.c.Build(args...), at(R)))
				return autodiff.Grad(li, args[k])[0]
			}))
		}
	}
	return loss, grads
}

func (p gradProblem) grads(loss *graph.Node, xs []*graph.Node, grad bool) []*graph.Node {
	if !grad {
		return nil
	}
	var wrt []*graph.Node
	for k, x := range xs {
		if p.wrt[k] {
			wrt = append(wrt, x)
		}
	}
	return autodiff.Grad(loss, wrt...)
}

// inputs declares operands named prefix+"x0", … holding vals.
func inputs(g *graph.Graph, vals []*tensor.Dense, prefix string, feeds map[string]*tensor.Dense) []*graph.Node {
	xs := make([]*graph.Node, len(vals))
	for k, v := range vals {
		name := fmt.Sprintf("%sx%d", prefix, k)
		xs[k] = g.Input(name, v.Dtype(), dense.Shape(v)...)
		feeds[name] = v
	}
	return xs
}

// gradients builds and runs p's gradients with run.
func (p gradProblem) gradients(t *testing.T, run Runner) []*tensor.Dense {
	t.Helper()
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	_, grads := p.build(g, inputs(g, p.vals, "", feeds), true)
	if err := g.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	got, err := run(grads, feeds)
	if err != nil {
		t.Fatalf("gradient: %v", err)
	}
	return got
}

// gradCheck compares the gradient run computes with central differences of
// the loss under reference along 3 random directions d: Σ <x̄, d> against
// (loss(x+h·d) − loss(x−h·d)) / 2h, relative tolerance 1e-6 (h = 1e-6).
func gradCheck(t *testing.T, c Case, v gradVariant, run, reference Runner) {
	p := gradSetup(c, v)
	got := p.gradients(t, run)
	h, tol := 1e-6, 1e-6
	if dt := p.weight.Dtype(); dt == tensor.Float32 { // a float32 result (Cast): linear, so a wide step is exact
		h, tol = 1e-2, 1e-3
	}
	const dirs = 3
	r := rand.New(rand.NewSource(5))
	fg := graph.New()
	feeds := map[string]*tensor.Dense{}
	var losses []*graph.Node
	want := make([]float64, dirs)
	for d := 0; d < dirs; d++ {
		plus := append([]*tensor.Dense(nil), p.vals...)
		minus := append([]*tensor.Dense(nil), p.vals...)
		j := 0
		for k, x := range p.vals {
			if !p.wrt[k] {
				continue
			}
			dir := uniform(r, dense.Shape(x))
			for e, gv := range dense.F64(got[j]) {
				want[d] += gv * dir[e]
			}
			j++
			xp, xm := dense.F64(x), dense.F64(x)
			for e := range xp {
				xp[e] += h * dir[e]
				xm[e] -= h * dir[e]
			}
			plus[k], minus[k] = dense.FromF64(x.Dtype(), dense.Shape(x), xp), dense.FromF64(x.Dtype(), dense.Shape(x), xm)
		}
		lp, _ := p.build(fg, inputs(fg, plus, fmt.Sprintf("p%d", d), feeds), false)
		lm, _ := p.build(fg, inputs(fg, minus, fmt.Sprintf("m%d", d), feeds), false)
		losses = append(losses, lp, lm)
	}
	if err := fg.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	fs, err := reference(losses, feeds)
	if err != nil {
		t.Fatalf("loss: %v", err)
	}
	for d := 0; d < dirs; d++ {
		fd := (dense.F64(fs[2*d])[0] - dense.F64(fs[2*d+1])[0]) / (2 * h)
		if diff := math.Abs(want[d] - fd); !(diff <= tol*math.Max(1, math.Abs(fd))) {
			t.Fatalf("direction %d: gradient gives %.12g, central differences %.12g (|diff| %.3g)", d, want[d], fd, diff)
		}
	}
}

// gradF32 runs a case with float32 operands as given and compares its
// gradient with the float64 one on the same (rounded) values.
func gradF32(t *testing.T, c, wide Case, v gradVariant, run Runner) {
	p := gradSetup(c, v)
	got := p.gradients(t, run)
	q := gradSetup(wide, v)
	for k, x := range p.vals { // the float32 values, exactly, in float64
		if x.Dtype() == tensor.Float32 {
			q.vals[k] = dense.FromF64(tensor.Float64, dense.Shape(x), dense.F64(x))
		}
	}
	q.weight = dense.FromF64(q.weight.Dtype(), dense.Shape(p.weight), dense.F64(p.weight))
	want := q.gradients(t, run)
	j := 0
	for k, a := range c.Args {
		if !p.wrt[k] {
			continue
		}
		if got[j].Dtype() != a.DType {
			t.Fatalf("operand %d is %v, its gradient %v", k, a.DType, got[j].Dtype())
		}
		gv, wv := dense.F64(got[j]), dense.F64(want[j])
		for e := range wv {
			if d := math.Abs(gv[e] - wv[e]); !(d <= 1e-4*math.Max(1, math.Abs(wv[e]))) {
				t.Fatalf("operand %d element %d: float32 gradient %v, float64 %v", k, e, gv[e], wv[e])
			}
		}
		j++
	}
}
