package train

import (
	"gorgonia.org/tensor"
)

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, following torch.optim.SGD (dampening 0):
//
//	g = grad + WeightDecay·p
//	buf = g on the first step, else Momentum·buf + g
//	g = g + Momentum·buf (Nesterov) or buf
//	p = p − LR·g
//
// The momentum buffers live in the SGD value, one per parameter position,
// in the parameter's dtype. An SGD is not safe for concurrent Steps.
type SGD struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool

	slots []slot
}

// NewSGD returns SGD with learning rate lr and the given momentum (0 for
// plain gradient descent).
func NewSGD(lr, momentum float64) *SGD { return &SGD{LR: lr, Momentum: momentum} }

// Reset drops the momentum buffers, as for a fresh optimiser.
func (o *SGD) Reset() { o.slots = nil }

// check validates the hyperparameters (for Step and Graph alike).
func (o *SGD) check() error {
	for _, h := range []struct {
		name string
		v    float64
	}{{"LR", o.LR}, {"Momentum", o.Momentum}, {"WeightDecay", o.WeightDecay}} {
		if err := hyper("SGD", h.name, h.v); err != nil {
			return err
		}
	}
	if o.Nesterov && o.Momentum == 0 {
		return errNesterov
	}
	return nil
}

// Step applies one update to params in place.
func (o *SGD) Step(params, grads []*tensor.Dense) error {
	if err := o.check(); err != nil {
		return err
	}
	if err := state("SGD", &o.slots, params, grads); err != nil {
		return err
	}
	for i, p := range params {
		s := &o.slots[i]
		if p.Dtype() == tensor.Float32 {
			sgd[float32](o, s, p, grads[i])
		} else {
			sgd[float64](o, s, p, grads[i])
		}
		s.t++
	}
	return nil
}

func sgd[T float](o *SGD, s *slot, pt, gt *tensor.Dense) {
	p, g := raw[T](pt, gt)
	// Hyperparameters are rounded to T once, as PyTorch does when it
	// multiplies a float32 tensor by a Python float.
	lr, mu, wd := T(o.LR), T(o.Momentum), T(o.WeightDecay)
	var buf []T
	if o.Momentum != 0 {
		buf = buffer[T](&s.a, len(p))
	}
	first, nesterov := s.t == 0, o.Nesterov
	each(len(p), func(lo, hi int) {
		// Reslicing to one length lets the compiler drop bounds checks.
		p, g := p[lo:hi], g[lo:hi]
		g = g[:len(p)]
		switch {
		case buf == nil && wd == 0:
			for i := range p {
				p[i] -= lr * g[i]
			}
			return
		case buf == nil:
			for i := range p {
				p[i] -= lr * (g[i] + wd*p[i])
			}
			return
		}
		b := buf[lo:hi]
		b = b[:len(p)]
		for i := range p {
			d := g[i]
			if wd != 0 {
				d += wd * p[i]
			}
			nb := d
			if !first {
				nb = mu*b[i] + d
			}
			b[i] = nb
			if nesterov {
				d += mu * nb
			} else {
				d = nb
			}
			p[i] -= lr * d
		}
	})
}
