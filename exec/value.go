package exec

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Value is a tensor held by a program's backend, so repeated Calls move
// nothing they need not move (JAX's device arrays). On the CPU backends it is
// a host buffer that loom owns.
type Value struct {
	p *Program
	t *tensor.Dense
}

// Put copies t to the program's backend once.
func (p *Program) Put(t *tensor.Dense) (*Value, error) {
	if t == nil {
		return nil, errors.New("exec: Put: nil tensor")
	}
	if !graph.Supported(t.Dtype()) {
		return nil, fmt.Errorf("exec: Put: unsupported dtype %v", t.Dtype())
	}
	return &Value{p: p, t: dense.Clone(t)}, nil
}

// Call runs the program on backend-held values and returns backend-held
// results, copying nothing to or from the host.
func (p *Program) Call(feeds map[string]*Value) ([]*Value, error) {
	host := make(map[string]*tensor.Dense, len(feeds))
	for name, v := range feeds {
		if v == nil {
			return nil, fmt.Errorf("exec: Call: input %q is a nil Value", name)
		}
		if v.p != nil && v.p.backend.Name() != p.backend.Name() {
			return nil, fmt.Errorf("exec: Call: input %q is held by the %s backend, not %s", name, v.p.backend.Name(), p.backend.Name())
		}
		host[name] = v.t
	}
	outs, err := p.Run(host)
	if err != nil {
		return nil, err
	}
	vals := make([]*Value, len(outs))
	for k, t := range outs {
		vals[k] = &Value{p: p, t: t}
	}
	return vals, nil
}

// Dense copies the value back to the host.
func (v *Value) Dense() (*tensor.Dense, error) {
	if v == nil || v.t == nil {
		return nil, errors.New("exec: Value.Dense: nil value")
	}
	return dense.Clone(v.t), nil
}
