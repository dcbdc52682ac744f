package exec

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Value is a tensor held by a program's backend, so repeated Calls move
// nothing they need not move (JAX's device arrays). On the CPU backends it is
// a host buffer that loom owns; on CUDA it is device memory.
type Value struct {
	p *Program
	t *tensor.Dense // host-held
	d *cuda.Tensor  // device-held
}

// Put copies t to the program's backend once.
func (p *Program) Put(t *tensor.Dense) (*Value, error) {
	if t == nil {
		return nil, errors.New("exec: Put: nil tensor")
	}
	if !graph.Supported(t.Dtype()) {
		return nil, fmt.Errorf("exec: Put: unsupported dtype %v", t.Dtype())
	}
	if gpu, ok := p.backend.(*cuda.Backend); ok {
		d, err := gpu.Put(dense.Contiguous(t))
		if err != nil {
			return nil, fmt.Errorf("exec: Put: %w", err)
		}
		return &Value{p: p, d: d}, nil
	}
	return &Value{p: p, t: dense.Clone(t)}, nil
}

// Call runs the program on backend-held values and returns backend-held
// results, copying nothing to or from the host.
func (p *Program) Call(feeds map[string]*Value) ([]*Value, error) {
	for name, v := range feeds {
		if v == nil {
			return nil, fmt.Errorf("exec: Call: input %q is a nil Value", name)
		}
		if v.p != nil && v.p.backend.Name() != p.backend.Name() {
			return nil, fmt.Errorf("exec: Call: input %q is held by the %s backend, not %s", name, v.p.backend.Name(), p.backend.Name())
		}
	}
	if gpu, ok := p.backend.(*cuda.Backend); ok {
		dev := make(map[string]*cuda.Tensor, len(feeds))
		for name, v := range feeds {
			dev[name] = v.d
		}
		outs, err := gpu.Call(p.order, p.outs, dev)
		if err != nil {
			return nil, fmt.Errorf("exec: Call: %w", err)
		}
		vals := make([]*Value, len(outs))
		for k, d := range outs {
			vals[k] = &Value{p: p, d: d}
		}
		return vals, nil
	}
	host := make(map[string]*tensor.Dense, len(feeds))
	for name, v := range feeds {
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
	switch {
	case v == nil || (v.t == nil && v.d == nil):
		return nil, errors.New("exec: Value.Dense: nil value")
	case v.d != nil:
		return v.d.Dense()
	}
	return dense.Clone(v.t), nil
}
