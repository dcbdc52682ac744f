package train_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// tiny is a small model: per row i of x [6, 3], tanh(x[i]·W + b)·v against
// y[i], mean squared. Its parameters W [3, 4], b [4], v [4] start from a
// fixed seed, and each step feeds a new random batch.
type tiny struct {
	g       *graph.Graph
	params  []*graph.Node
	init    []*tensor.Dense
	loss    *graph.Node
	dt      tensor.Dtype
	batches []map[string]*tensor.Dense
}

func newTiny(dt tensor.Dtype, steps int) *tiny {
	r := rand.New(rand.NewPCG(7, 8))
	randT := func(dims ...int) *tensor.Dense {
		v := make([]float64, dense.Size(dims))
		for k := range v {
			v[k] = r.NormFloat64()
		}
		return dense.FromF64(dt, dims, v)
	}
	m := &tiny{g: graph.New(), dt: dt}
	for _, p := range []struct {
		name string
		dims []int
	}{{"W", []int{3, 4}}, {"b", []int{4}}, {"v", []int{4}}} {
		m.params = append(m.params, m.g.Input(p.name, dt, p.dims...))
		m.init = append(m.init, randT(p.dims...))
	}
	x, y := m.g.Input("x", dt, 6, 3), m.g.Input("y", dt, 6)
	i := m.g.Axis("i", 0)
	out := vmap.For(i).Do(func() *graph.Node {
		h := nodes.Tanh(nodes.Add(nodes.MatMul(x.At(i, graph.All), m.params[0]), m.params[1]))
		return nodes.MatMul(h, m.params[2])
	})
	e := nodes.Sub(out, y)
	m.loss = nodes.Mean(nodes.Mul(e, e))
	for range steps {
		m.batches = append(m.batches, map[string]*tensor.Dense{"x": randT(6, 3), "y": randT(6)})
	}
	return m
}

// onHost runs the steps with the host optimiser: Run computes the loss and
// the gradients, Step updates the parameters. setLR, if not nil, sets the
// learning rate before each step.
func onHost(t *testing.T, m *tiny, opt train.Optimizer, setLR func(step int)) ([]float64, []*tensor.Dense) {
	t.Helper()
	prog, err := exec.Compile(append([]*graph.Node{m.loss}, autodiff.Grad(m.loss, m.params...)...), exec.OnCPU())
	if err != nil {
		t.Fatal(err)
	}
	params := make([]*tensor.Dense, len(m.init))
	for k, p := range m.init {
		params[k] = dense.Clone(p)
	}
	var losses []float64
	for s, b := range m.batches {
		feeds := map[string]*tensor.Dense{"x": b["x"], "y": b["y"]}
		for k, p := range m.params {
			feeds[p.Op().(*graph.Input).Label] = params[k]
		}
		res, err := prog.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if setLR != nil {
			setLR(s)
		}
		if err := opt.Step(params, res[1:]); err != nil {
			t.Fatal(err)
		}
		losses = append(losses, dense.F64(res[0])[0])
	}
	return losses, params
}

// inGraph runs the same steps with the update in the program: parameters and
// state are Put once, each step Puts only the batch (and lr, when it is an
// input) and Calls; the new values are carried to the next step.
func inGraph(t *testing.T, m *tiny, u *train.Update, lr func(step int) float64) ([]float64, []*tensor.Dense) {
	t.Helper()
	prog, err := exec.Compile(append([]*graph.Node{m.loss}, u.Outputs()...), exec.OnCPU())
	if err != nil {
		t.Fatal(err)
	}
	put := func(d *tensor.Dense) *exec.Value {
		v, err := prog.Put(d)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	feeds := map[string]*exec.Value{}
	for k, p := range m.params {
		feeds[p.Op().(*graph.Input).Label] = put(m.init[k])
	}
	for name, d := range u.Init() {
		feeds[name] = put(d)
	}
	var losses []float64
	var outs []*exec.Value
	for s, b := range m.batches {
		feeds["x"], feeds["y"] = put(b["x"]), put(b["y"])
		if lr != nil {
			feeds["adam.lr"] = put(dense.FromF64(tensor.Float64, nil, []float64{lr(s)}))
		}
		if outs, err = prog.Call(feeds); err != nil {
			t.Fatal(err)
		}
		l, err := outs[0].Dense()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, dense.F64(l)[0])
		if err := train.Carry(u, feeds, outs[1:]); err != nil {
			t.Fatal(err)
		}
	}
	params := make([]*tensor.Dense, len(m.params))
	for k := range params {
		d, err := outs[1+k].Dense()
		if err != nil {
			t.Fatal(err)
		}
		params[k] = d
	}
	return losses, params
}

func tolFor(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-6
	}
	return 1e-12
}

// same fails unless got and want agree elementwise to tol relative (to 1
// for elements below 1).
// It returns the largest such difference.
func same(t *testing.T, what string, got, want []float64, tol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for k := range got {
		d := math.Abs(got[k]-want[k]) / math.Max(1, math.Abs(want[k]))
		if !(d <= tol) {
			t.Fatalf("%s[%d] = %.17g, host %.17g (differ by %.3g, tol %g)", what, k, got[k], want[k], d, tol)
		}
		worst = max(worst, d)
	}
	return worst
}

func compare(t *testing.T, m *tiny, hl []float64, hp []*tensor.Dense, gl []float64, gp []*tensor.Dense) {
	t.Helper()
	tol := tolFor(m.dt)
	worst := same(t, "loss", gl, hl, tol)
	for k := range hp {
		worst = max(worst, same(t, fmt.Sprintf("param %d", k), dense.F64(gp[k]), dense.F64(hp[k]), tol))
	}
	t.Logf("largest difference from the host optimiser: %.3g", worst)
	if hl[len(hl)-1] >= hl[0] {
		t.Errorf("the loss did not fall: %.4g → %.4g", hl[0], hl[len(hl)-1])
	}
}

const steps = 12

func TestGraphMatchesHost(t *testing.T) {
	cases := []struct {
		name string
		opt  func() train.Optimizer
	}{
		{"sgd", func() train.Optimizer { return train.NewSGD(0.05, 0) }},
		{"sgd-l2", func() train.Optimizer { return &train.SGD{LR: 0.05, WeightDecay: 0.01} }},
		{"momentum", func() train.Optimizer { return train.NewSGD(0.05, 0.9) }},
		{"nesterov-l2", func() train.Optimizer {
			return &train.SGD{LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.02}
		}},
		{"adam", func() train.Optimizer { return train.NewAdam(0.01) }},
		{"adam-l2", func() train.Optimizer {
			return &train.Adam{LR: 0.02, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.05}
		}},
		{"adamw", func() train.Optimizer { return train.NewAdamW(0.01, 0.1) }},
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range cases {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				hl, hp := onHost(t, newTiny(dt, steps), c.opt(), nil)
				m := newTiny(dt, steps)
				u, err := build(c.opt(), m)
				if err != nil {
					t.Fatal(err)
				}
				gl, gp := inGraph(t, m, u, nil)
				compare(t, m, hl, hp, gl, gp)
			})
		}
	}
}

func build(o train.Optimizer, m *tiny, opts ...train.GraphOption) (*train.Update, error) {
	grads := autodiff.Grad(m.loss, m.params...)
	switch o := o.(type) {
	case *train.SGD:
		return o.Graph(m.params, grads, opts...)
	case *train.Adam:
		return o.Graph(m.params, grads, opts...)
	}
	return nil, fmt.Errorf("no Graph for %T", o)
}

// A learning-rate schedule through LRInput matches the host optimiser whose
// LR is changed before each Step.
func TestGraphLRInput(t *testing.T) {
	sched := func(s int) float64 { return 0.02 / float64(1+s) }
	host := train.NewAdam(sched(0))
	hl, hp := onHost(t, newTiny(tensor.Float32, steps), host, func(s int) { host.LR = sched(s) })
	m := newTiny(tensor.Float32, steps)
	u, err := build(train.NewAdam(sched(0)), m, train.LRInput())
	if err != nil {
		t.Fatal(err)
	}
	if lr := u.Init()["adam.lr"]; lr == nil || dense.F64(lr)[0] != sched(0) {
		t.Fatalf("Init()[adam.lr] = %v, want %v", lr, sched(0))
	}
	gl, gp := inGraph(t, m, u, sched)
	compare(t, m, hl, hp, gl, gp)
}

// Two parameter groups in one graph, under two prefixes, through Run and
// *tensor.Dense feeds: AdamW on W, Adam without decay on b and v.
func TestGraphGroupsRun(t *testing.T) {
	m := newTiny(tensor.Float64, steps)
	grads := autodiff.Grad(m.loss, m.params...)
	uw, err := train.NewAdamW(0.01, 0.1).Graph(m.params[:1], grads[:1])
	if err != nil {
		t.Fatal(err)
	}
	ub, err := train.NewAdam(0.02).Graph(m.params[1:], grads[1:], train.Prefix("bias"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ub.Names(), " "); got != "b v bias.t bias.m/b bias.v/b bias.m/v bias.v/v" {
		t.Fatalf("Names() = %s", got)
	}
	prog, err := exec.Compile(append(append([]*graph.Node{m.loss}, uw.Outputs()...), ub.Outputs()...), exec.OnCPU())
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Dense{"W": m.init[0], "b": m.init[1], "v": m.init[2]}
	for _, u := range []*train.Update{uw, ub} {
		for name, d := range u.Init() {
			feeds[name] = d
		}
	}
	hw, hb := train.NewAdamW(0.01, 0.1), train.NewAdam(0.02)
	hp := []*tensor.Dense{dense.Clone(m.init[0]), dense.Clone(m.init[1]), dense.Clone(m.init[2])}
	hprog, err := exec.Compile(append([]*graph.Node{m.loss}, grads...), exec.OnCPU())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.batches {
		feeds["x"], feeds["y"] = b["x"], b["y"]
		outs, err := prog.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		nw := len(uw.Outputs())
		if err := train.Carry(uw, feeds, outs[1:1+nw]); err != nil {
			t.Fatal(err)
		}
		if err := train.Carry(ub, feeds, outs[1+nw:]); err != nil {
			t.Fatal(err)
		}
		res, err := hprog.Run(map[string]*tensor.Dense{"x": b["x"], "y": b["y"], "W": hp[0], "b": hp[1], "v": hp[2]})
		if err != nil {
			t.Fatal(err)
		}
		if err := hw.Step(hp[:1], res[1:2]); err != nil {
			t.Fatal(err)
		}
		if err := hb.Step(hp[1:], res[2:]); err != nil {
			t.Fatal(err)
		}
	}
	for k, name := range []string{"W", "b", "v"} {
		same(t, name, dense.F64(feeds[name]), dense.F64(hp[k]), 1e-12)
	}
}
