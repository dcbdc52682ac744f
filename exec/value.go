package exec

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

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

	mu    sync.Mutex
	users int  // Calls and Denses reading it now
	gone  bool // donated to a Call (Donate): its memory is that Call's
	freed bool // released by Free
}

// Free releases the value's memory now — on a GPU, back to the device's
// pool — instead of when the garbage collector finds the Value unreachable
// (JAX's delete()). Device memory is invisible to Go's collector, so a loop
// that replaces large device values should Free (or donate) the old ones.
// A freed value cannot be read or fed again; freeing a value a Call or
// Dense is reading now is an error, and freeing it twice does nothing.
func (v *Value) Free() error {
	if v == nil {
		return errors.New("exec: Value.Free: nil value")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.users > 0:
		return errors.New("exec: Value.Free: a Call or Dense is reading the value now")
	case v.freed || v.gone:
		return nil
	}
	v.freed = true
	if v.d != nil {
		v.d.Free()
	}
	v.d, v.t = nil, nil
	return nil
}

// errFreed says that what (a value, an input) was released by Free.
func errFreed(what string) error { return fmt.Errorf("%s was freed (Value.Free)", what) }

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
// results, copying nothing to or from the host. The Values fed under
// donated names (Donate) are consumed: their memory may hold the results.
func (p *Program) Call(feeds map[string]*Value) ([]*Value, error) {
	for name, v := range feeds {
		if v == nil {
			return nil, fmt.Errorf("exec: Call: input %q is a nil Value", name)
		}
		if v.p != nil && v.p.backend.Name() != p.backend.Name() {
			return nil, fmt.Errorf("exec: Call: input %q is held by the %s backend, not %s", name, v.p.backend.Name(), p.backend.Name())
		}
	}
	names, err := p.checkValues(feeds)
	if err != nil {
		return nil, err
	}
	if err := p.claim(feeds, names); err != nil {
		return nil, err
	}
	vals, err := p.call(feeds)
	p.settle(feeds, names)
	return vals, err
}

// call runs the program on claimed values.
func (p *Program) call(feeds map[string]*Value) ([]*Value, error) {
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

// Dense copies the value back to the host. A value donated to a Call
// (Donate) has no contents left to copy: that is an error.
func (v *Value) Dense() (*tensor.Dense, error) {
	if v == nil {
		return nil, errors.New("exec: Value.Dense: nil value")
	}
	v.mu.Lock()
	if v.gone {
		v.mu.Unlock()
		return nil, errDonated("exec: Value.Dense: the value")
	}
	if v.freed {
		v.mu.Unlock()
		return nil, errFreed("exec: Value.Dense: the value")
	}
	v.users++
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		v.users--
		v.mu.Unlock()
	}()
	switch {
	case v.t == nil && v.d == nil:
		return nil, errors.New("exec: Value.Dense: nil value")
	case v.d != nil:
		return v.d.Dense()
	}
	return dense.Clone(v.t), nil
}

// errDonated says that what (a value, an input) was consumed by a Call it
// was donated to.
func errDonated(what string) error {
	return fmt.Errorf("%s was donated to an earlier Call (exec.Donate): its memory now belongs to that Call's results; use those", what)
}

// checkValues validates Call's feeds as Run validates tensors — known
// names, every input the program reads fed, dtypes and shapes — and that a
// Value fed under a donated name is fed under no other; it returns the
// fed names, sorted.
func (p *Program) checkValues(feeds map[string]*Value) ([]string, error) {
	names := slices.Sorted(maps.Keys(feeds))
	byName := p.byName
	for _, name := range names {
		if byName[name] == nil {
			return nil, fmt.Errorf("exec: Call: unknown input %q (the graph's inputs are: %s)", name, strings.Join(p.names, ", "))
		}
	}
	fedAs := map[*Value]string{}
	for _, name := range names {
		in, v := byName[name], feeds[name]
		if other, ok := fedAs[v]; ok && (p.donated[in] || p.donated[byName[other]]) {
			return nil, fmt.Errorf("exec: Call: inputs %q and %q are fed the same Value, and one of them is donated: the Call would write over an input it reads", other, name)
		}
		fedAs[v] = name
	}
	for _, in := range p.inputs {
		name := in.Op().(*graph.Input).Label
		v, ok := feeds[name]
		if !ok {
			if p.needed[in] {
				return nil, fmt.Errorf("exec: Call: input %q not fed (want %s)", name, in.Type())
			}
			continue
		}
		v.mu.Lock()
		dt, shape, live := v.meta()
		gone, freed := v.gone, v.freed
		v.mu.Unlock()
		want := in.Type()
		switch {
		case gone:
			return nil, errDonated(fmt.Sprintf("exec: Call: input %q: the value", name))
		case freed:
			return nil, errFreed(fmt.Sprintf("exec: Call: input %q: the value", name))
		case !live:
			return nil, fmt.Errorf("exec: Call: input %q is an empty Value (make Values with Put or Call)", name)
		case dt != want.DType:
			return nil, fmt.Errorf("exec: Call: input %q has dtype %v, want %v (%s)", name, dt, want.DType, want)
		case !slices.Equal(shape, want.Shape):
			return nil, fmt.Errorf("exec: Call: input %q has shape %v, want %v", name, shape, want.Shape)
		}
	}
	return names, nil
}

// meta is the value's dtype and shape, and whether it holds anything.
func (v *Value) meta() (tensor.Dtype, []int, bool) {
	switch {
	case v.d != nil:
		return v.d.DType(), v.d.Shape(), true
	case v.t != nil:
		return v.t.Dtype(), dense.Shape(v.t), true
	}
	return tensor.Dtype{}, nil, false
}

// claim takes the fed values for one Call: a donated one becomes the
// Call's (no one else may be reading it), the others are read. On an error
// nothing stays claimed.
func (p *Program) claim(feeds map[string]*Value, names []string) error {
	for k, name := range names {
		v, donate := feeds[name], p.donates[name]
		v.mu.Lock()
		var err error
		switch {
		case v.gone:
			err = errDonated(fmt.Sprintf("exec: Call: input %q: the value", name))
		case v.freed:
			err = errFreed(fmt.Sprintf("exec: Call: input %q: the value", name))
		case donate && v.users > 0:
			err = fmt.Errorf("exec: Call: input %q is donated, but its Value is being read by another Call or Dense at the same time", name)
		case donate:
			v.gone = true
		default:
			v.users++
		}
		v.mu.Unlock()
		if err != nil {
			p.unclaim(feeds, names[:k])
			return err
		}
	}
	return nil
}

// unclaim undoes claim for names.
func (p *Program) unclaim(feeds map[string]*Value, names []string) {
	for _, name := range names {
		v := feeds[name]
		v.mu.Lock()
		if p.donates[name] {
			v.gone = false
		} else {
			v.users--
		}
		v.mu.Unlock()
	}
}

// settle ends a Call's claims: read values are free again, donated ones
// consumed (their device memory, if the run left any, freed now).
func (p *Program) settle(feeds map[string]*Value, names []string) {
	for _, name := range names {
		v := feeds[name]
		v.mu.Lock()
		if p.donates[name] {
			if v.d != nil {
				v.d.Free()
			}
			v.t, v.d = nil, nil
		} else {
			v.users--
		}
		v.mu.Unlock()
	}
}
