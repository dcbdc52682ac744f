package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// problem is a few parameters and a fixed gradient per step, in float64;
// the tests run an optimiser over it and compare with a reference.
type problem struct {
	shapes [][]int
	init   [][]float64   // per param
	grads  [][][]float64 // per step, per param
}

func newProblem(seed uint64, steps int, shapes ...[]int) problem {
	r := rand.New(rand.NewPCG(seed, 1))
	p := problem{shapes: shapes}
	for _, sh := range shapes {
		p.init = append(p.init, randn(r, size(sh)))
	}
	for range steps {
		var gs [][]float64
		for _, sh := range shapes {
			gs = append(gs, randn(r, size(sh)))
		}
		p.grads = append(p.grads, gs)
	}
	return p
}

func size(sh []int) int {
	n := 1
	for _, d := range sh {
		n *= d
	}
	return n
}

func randn(r *rand.Rand, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = r.NormFloat64()
	}
	return xs
}

func tensorOf(dt tensor.Dtype, shape []int, xs []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(xs))
		for i, x := range xs {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), xs...)))
}

func values(t *tensor.Dense) []float64 {
	if t.Dtype() == tensor.Float32 {
		var out []float64
		for _, x := range t.Float32s() {
			out = append(out, float64(x))
		}
		return out
	}
	return append([]float64(nil), t.Float64s()...)
}

// run applies opt for every step of p and returns the parameters after each.
func (p problem) run(t *testing.T, opt Optimizer, dt tensor.Dtype) [][][]float64 {
	t.Helper()
	var params []*tensor.Dense
	for i, sh := range p.shapes {
		params = append(params, tensorOf(dt, sh, p.init[i]))
	}
	var hist [][][]float64
	for _, gs := range p.grads {
		var grads []*tensor.Dense
		for i, sh := range p.shapes {
			grads = append(grads, tensorOf(dt, sh, gs[i]))
		}
		if err := opt.Step(params, grads); err != nil {
			t.Fatal(err)
		}
		var now [][]float64
		for _, x := range params {
			now = append(now, values(x))
		}
		hist = append(hist, now)
	}
	return hist
}

// refSGD is torch.optim.SGD's update (dampening 0) in plain float64.
func refSGD(p problem, lr, mom, wd float64, nesterov bool) [][][]float64 {
	w := clone2(p.init)
	bufs := make([][]float64, len(w))
	var hist [][][]float64
	for s, gs := range p.grads {
		for i := range w {
			if s == 0 {
				bufs[i] = make([]float64, len(w[i]))
			}
			for j := range w[i] {
				g := gs[i][j] + wd*w[i][j]
				if mom != 0 {
					if s == 0 {
						bufs[i][j] = g
					} else {
						bufs[i][j] = mom*bufs[i][j] + g
					}
					if nesterov {
						g += mom * bufs[i][j]
					} else {
						g = bufs[i][j]
					}
				}
				w[i][j] -= lr * g
			}
		}
		hist = append(hist, clone2(w))
	}
	return hist
}

// refAdam is torch.optim.Adam / AdamW in plain float64.
func refAdam(p problem, lr, b1, b2, eps, wd float64, decoupled bool) [][][]float64 {
	w := clone2(p.init)
	m, v := zerosLike(w), zerosLike(w)
	var hist [][][]float64
	for s, gs := range p.grads {
		t := float64(s + 1)
		for i := range w {
			for j := range w[i] {
				g := gs[i][j]
				if decoupled {
					w[i][j] *= 1 - lr*wd
				} else {
					g += wd * w[i][j]
				}
				m[i][j] = b1*m[i][j] + (1-b1)*g
				v[i][j] = b2*v[i][j] + (1-b2)*g*g
				mhat := m[i][j] / (1 - math.Pow(b1, t))
				vhat := v[i][j] / (1 - math.Pow(b2, t))
				w[i][j] -= lr * mhat / (math.Sqrt(vhat) + eps)
			}
		}
		hist = append(hist, clone2(w))
	}
	return hist
}

func clone2(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = append([]float64(nil), x[i]...)
	}
	return out
}

func zerosLike(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = make([]float64, len(x[i]))
	}
	return out
}

// near compares histories with a tolerance relative to the magnitude.
func near(t *testing.T, got, want [][][]float64, tol float64) {
	t.Helper()
	worst := 0.0
	for s := range want {
		for i := range want[s] {
			for j, w := range want[s][i] {
				d := math.Abs(got[s][i][j]-w) / (1 + math.Abs(w))
				worst = max(worst, d)
				if !(d <= tol) {
					t.Fatalf("step %d param %d [%d]: got %.17g, want %.17g (rel diff %.3g > %.3g)", s+1, i, j, got[s][i][j], w, d, tol)
				}
			}
		}
	}
	t.Logf("worst relative difference %.3g", worst)
}

func TestAgainstLoops(t *testing.T) {
	// Shapes include a rank-0 scalar and one large enough to be updated in
	// parallel blocks.
	p := newProblem(42, 6, []int{3, 4}, []int{}, []int{5}, []int{2, 2*grain + 7})
	cases := []struct {
		name string
		opt  func() Optimizer
		ref  [][][]float64
	}{
		{"sgd", func() Optimizer { return NewSGD(0.1, 0) }, refSGD(p, 0.1, 0, 0, false)},
		{"sgd-momentum", func() Optimizer { return NewSGD(0.05, 0.9) }, refSGD(p, 0.05, 0.9, 0, false)},
		{"sgd-nesterov-wd", func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.8, WeightDecay: 0.01, Nesterov: true} }, refSGD(p, 0.05, 0.8, 0.01, true)},
		{"sgd-wd", func() Optimizer { return &SGD{LR: 0.1, WeightDecay: 0.1} }, refSGD(p, 0.1, 0, 0.1, false)},
		{"adam", func() Optimizer { return NewAdam(0.01) }, refAdam(p, 0.01, 0.9, 0.999, 1e-8, 0, false)},
		{"adam-l2", func() Optimizer { return &Adam{LR: 0.02, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1} }, refAdam(p, 0.02, 0.8, 0.99, 1e-6, 0.1, false)},
		{"adamw", func() Optimizer { return NewAdamW(0.01, 0.05) }, refAdam(p, 0.01, 0.9, 0.999, 1e-8, 0.05, true)},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 2e-6
				}
				near(t, p.run(t, c.opt(), dt), c.ref, tol)
			})
		}
	}
}

// TestReset checks that Reset forgets the state: a reset optimiser repeats
// the first step exactly.
func TestReset(t *testing.T) {
	p := newProblem(3, 1, []int{4})
	for _, o := range []interface {
		Optimizer
		Reset()
	}{NewSGD(0.1, 0.9), NewAdam(0.1)} {
		a := p.run(t, o, tensor.Float64)
		p.run(t, o, tensor.Float64) // builds more state
		o.Reset()
		b := p.run(t, o, tensor.Float64)
		near(t, b, a, 0)
	}
}

// TestGradView checks that a transposed gradient is read by its logical
// values, not its backing buffer.
func TestGradView(t *testing.T) {
	g := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	if err := g.T(); err != nil { // logical (2, 3): [[1 3 5] [2 4 6]]
		t.Fatal(err)
	}
	p := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float64, 6)))
	if err := NewSGD(1, 0).Step([]*tensor.Dense{p}, []*tensor.Dense{g}); err != nil {
		t.Fatal(err)
	}
	want := []float64{-1, -3, -5, -2, -4, -6}
	for i, x := range p.Float64s() {
		if x != want[i] {
			t.Fatalf("params %v, want %v", p.Float64s(), want)
		}
	}
}

func TestStepErrors(t *testing.T) {
	f64 := func(shape ...int) *tensor.Dense { return Zeros(tensor.Float64, shape...) }
	f32 := func(shape ...int) *tensor.Dense { return Zeros(tensor.Float32, shape...) }
	tr := f64(2, 3)
	tr.T()
	view, _ := f64(4, 3).Slice(tensor.S(1, 3))
	type ts = []*tensor.Dense
	cases := []struct {
		name          string
		opt           Optimizer
		params, grads ts
		want          string
	}{
		{"count", NewSGD(0.1, 0), ts{f64(2), f64(3)}, ts{f64(2)}, "2 params but 1 grads"},
		{"shape", NewAdam(0.1), ts{f64(2), f64(3, 4)}, ts{f64(2), f64(4, 3)}, "grads[1] shape (4, 3) differs from params[1] shape (3, 4)"},
		{"vector-vs-column", NewAdam(0.1), ts{f64(3, 1)}, ts{f64(3)}, "grads[0] shape (3) differs from params[0] shape (3, 1)"},
		{"dtype", NewSGD(0.1, 0.9), ts{f64(2)}, ts{f32(2)}, "grads[0] has dtype float32 but params[0] has float64"},
		{"int", NewSGD(0.1, 0), ts{Zeros(tensor.Int64, 2)}, ts{Zeros(tensor.Int64, 2)}, "params[0] has dtype int64"},
		{"nil-param", NewSGD(0.1, 0), ts{nil}, ts{f64(2)}, "params[0] is nil"},
		{"nil-grad", NewAdamW(0.1, 0.1), ts{f64(2)}, ts{nil}, "grads[0] is nil"},
		{"view", NewSGD(0.1, 0), ts{tr}, ts{f64(3, 2)}, "params[0] (3, 2) is a view"},
		{"slice", NewSGD(0.1, 0), ts{view.(*tensor.Dense)}, ts{f64(2, 3)}, "is a view"},
		{"lr", NewSGD(-1, 0), ts{f64(2)}, ts{f64(2)}, "LR = -1"},
		{"nan-lr", NewAdam(math.NaN()), ts{f64(2)}, ts{f64(2)}, "LR = NaN"},
		{"momentum", NewSGD(0.1, -0.5), ts{f64(2)}, ts{f64(2)}, "Momentum = -0.5"},
		{"nesterov", &SGD{LR: 0.1, Nesterov: true}, ts{f64(2)}, ts{f64(2)}, "Nesterov momentum needs Momentum > 0"},
		{"beta", &Adam{LR: 0.1, Beta2: 1}, ts{f64(2)}, ts{f64(2)}, "must be < 1"},
		{"wd", NewAdamW(0.1, -1), ts{f64(2)}, ts{f64(2)}, "AdamW: WeightDecay = -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.opt.Step(c.params, c.grads)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}

	// State built for one set of params rejects another until Reset.
	o := NewAdam(0.1)
	if err := o.Step([]*tensor.Dense{f64(2)}, []*tensor.Dense{f64(2)}); err != nil {
		t.Fatal(err)
	}
	if err := o.Step([]*tensor.Dense{f64(3)}, []*tensor.Dense{f64(3)}); err == nil || !strings.Contains(err.Error(), "state was built for float64 (2)") {
		t.Fatalf("changed shape: %v", err)
	}
	if err := o.Step([]*tensor.Dense{f64(2), f64(2)}, []*tensor.Dense{f64(2), f64(2)}); err == nil || !strings.Contains(err.Error(), "state was built for 1") {
		t.Fatalf("changed count: %v", err)
	}
	o.Reset()
	if err := o.Step([]*tensor.Dense{f64(3)}, []*tensor.Dense{f64(3)}); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}
