package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Input is one named float64 value the loss is differentiated against.
type Input struct {
	Name  string
	Value *tensor.Dense
}

// Options tune Check; the zero value is sensible.
type Options struct {
	Step     float64                // finite-difference step; 1e-6
	Tol      float64                // relative tolerance; 1e-5
	Samples  int                    // elements probed per input (all when ≤ Samples); 24
	Backends map[string]exec.Option // the programs checked; reference and CPU
	Data     map[string]*tensor.Dense
}

// Check builds the scalar loss from the inputs, takes its gradient with
// autodiff.Grad, runs it on each backend and compares every probed element
// with (f(x+h) − f(x−h)) / 2h evaluated by the reference interpreter. Data
// are extra feeds (labels, indices) that are not differentiated.
func Check(build func(g *graph.Graph, in []*graph.Node) *graph.Node, inputs []Input, o Options) error {
	if o.Step == 0 {
		o.Step = 1e-6
	}
	if o.Tol == 0 {
		o.Tol = 1e-5
	}
	if o.Samples == 0 {
		o.Samples = 24
	}
	if o.Backends == nil {
		o.Backends = map[string]exec.Option{"ref": exec.Reference(), "cpu": exec.OnCPU()}
	}
	g := graph.New()
	in := make([]*graph.Node, len(inputs))
	feeds := map[string]*tensor.Dense{}
	for k, x := range inputs {
		in[k] = g.Input(x.Name, x.Value.Dtype(), dense.Shape(x.Value)...)
		feeds[x.Name] = x.Value
	}
	for name, v := range o.Data {
		feeds[name] = v
	}
	loss := build(g, in)
	grads := autodiff.Grad(loss, in...)
	if err := g.Err(); err != nil {
		return err
	}
	f, err := exec.Compile([]*graph.Node{loss}, exec.Reference())
	if err != nil {
		return err
	}
	eval := func() (float64, error) {
		out, err := f.Run(feeds)
		if err != nil {
			return 0, err
		}
		return dense.F64(out[0])[0], nil
	}
	// The numeric gradient, probed at a deterministic sample of elements.
	r := rand.New(rand.NewPCG(1, 2))
	type probe struct {
		in, at int
		want   float64
	}
	var probes []probe
	for k, x := range inputs {
		data := x.Value.Float64s()
		at := r.Perm(len(data))
		if len(at) > o.Samples {
			at = at[:o.Samples]
		}
		for _, e := range at {
			v := data[e]
			data[e] = v + o.Step
			fp, err := eval()
			if err != nil {
				return err
			}
			data[e] = v - o.Step
			fm, err := eval()
			data[e] = v
			if err != nil {
				return err
			}
			probes = append(probes, probe{k, e, (fp - fm) / (2 * o.Step)})
		}
	}
	for name, opt := range o.Backends {
		p, err := exec.Compile(grads, opt)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		got, err := p.Run(feeds)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, pr := range probes {
			have := dense.F64(got[pr.in])[pr.at]
			if d := math.Abs(have - pr.want); d > o.Tol*math.Max(1, math.Abs(pr.want)) || math.IsNaN(have) {
				return fmt.Errorf("%s: d/d%s[%d] = %.9g, finite differences %.9g", name, inputs[pr.in].Name, pr.at, have, pr.want)
			}
		}
	}
	return nil
}

// Randn returns a float64 value of normal entries.
func Randn(r *rand.Rand, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(tensor.Float64, shape, v)
}
