package train

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// Adam is the Adam optimiser with bias correction, following torch.optim.Adam
// (and torch.optim.AdamW when Decoupled is set). Per element, at step t:
//
//	p = p·(1 − LR·WeightDecay)           if Decoupled (AdamW)
//	g = grad + WeightDecay·p             otherwise (L2 decay, Adam)
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − LR/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + Eps)
//
// Zero Beta1, Beta2 and Eps mean PyTorch's defaults 0.9, 0.999 and 1e-8.
// The moments m and v live in the Adam value, one pair per parameter
// position, in the parameter's dtype. An Adam is not safe for concurrent
// Steps.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                          bool // true = AdamW

	slots []slot
}

// NewAdam returns Adam with learning rate lr and PyTorch's defaults.
func NewAdam(lr float64) *Adam { return &Adam{LR: lr} }

// NewAdamW returns AdamW (decoupled weight decay) with learning rate lr.
func NewAdamW(lr, weightDecay float64) *Adam {
	return &Adam{LR: lr, WeightDecay: weightDecay, Decoupled: true}
}

// Reset drops the moments and the step count, as for a fresh optimiser.
func (o *Adam) Reset() { o.slots = nil }

func (o *Adam) params() (b1, b2, eps float64) {
	b1, b2, eps = o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	return b1, b2, eps
}

// check validates the hyperparameters (for Step and Graph alike) and
// returns the optimiser's name, "Adam" or "AdamW".
func (o *Adam) check() (string, error) {
	op := "Adam"
	if o.Decoupled {
		op = "AdamW"
	}
	b1, b2, eps := o.params()
	for _, h := range []struct {
		name string
		v    float64
	}{{"LR", o.LR}, {"Eps", eps}, {"WeightDecay", o.WeightDecay}, {"Beta1", b1}, {"Beta2", b2}} {
		if err := hyper(op, h.name, h.v); err != nil {
			return op, err
		}
	}
	if b1 >= 1 || b2 >= 1 {
		return op, fmt.Errorf("train: %s: Beta1 = %v, Beta2 = %v; both must be < 1", op, b1, b2)
	}
	return op, nil
}

// Step applies one update to params in place.
func (o *Adam) Step(params, grads []*tensor.Dense) error {
	op, err := o.check()
	if err != nil {
		return err
	}
	if err := state(op, &o.slots, params, grads); err != nil {
		return err
	}
	for i, p := range params {
		s := &o.slots[i]
		s.t++
		if p.Dtype() == tensor.Float32 {
			adam[float32](o, s, p, grads[i])
		} else {
			adam[float64](o, s, p, grads[i])
		}
	}
	return nil
}

func adam[T float](o *Adam, s *slot, pt, gt *tensor.Dense) {
	p, g := raw[T](pt, gt)
	m, v := buffer[T](&s.a, len(p)), buffer[T](&s.b, len(p))
	b1, b2, eps := o.params()
	// The scalars are computed in float64 and rounded to T once, the way
	// PyTorch computes them in Python before scaling a tensor.
	t := float64(s.t)
	stepSize := T(o.LR / (1 - math.Pow(b1, t)))
	bc2 := T(math.Sqrt(1 - math.Pow(b2, t)))
	decay := T(1 - o.LR*o.WeightDecay)
	wd, c1, c2 := T(o.WeightDecay), T(1-b1), T(1-b2)
	tb1, tb2, teps := T(b1), T(b2), T(eps)
	decoupled := o.Decoupled && o.WeightDecay != 0
	l2 := !o.Decoupled && o.WeightDecay != 0
	each(len(p), func(lo, hi int) {
		// Reslicing to one length lets the compiler drop bounds checks.
		p, g, m, v := p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
		g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
		for i := range p {
			d := g[i]
			if decoupled {
				p[i] *= decay
			} else if l2 {
				d += wd * p[i]
			}
			m[i] = tb1*m[i] + c1*d
			v[i] = tb2*v[i] + c2*d*d
			den := T(math.Sqrt(float64(v[i])))/bc2 + teps
			p[i] -= stepSize * (m[i] / den)
		}
	})
}
