package cuda

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
)

// Backend runs optimized programs on the GPU. It is what exec.OnCUDA()
// compiles for: Prepare plans the program and compiles its kernels at
// Compile time, Run uploads the feeds, runs every node on the device and
// downloads the outputs. Runs are serialized on the device's owner thread,
// so concurrent Runs are safe and each is deterministic.
type Backend struct {
	e   *engine
	dev *Device

	mu      sync.Mutex
	plan    *plan
	donated []*graph.Node // inputs whose buffers runs may take over
}

// New opens the process's GPU (see Open) and returns a backend for one
// program.
func New() (*Backend, error) {
	d, err := Open()
	if err != nil {
		return nil, err
	}
	return &Backend{e: deviceEngine(d), dev: d}, nil
}

// newBackend runs on any gpu (tests use an emulator).
func newBackend(e *engine) *Backend { return &Backend{e: e} }

// Name is "cuda".
func (*Backend) Name() string { return "cuda" }

// Donate lets the program write over the named inputs' device buffers
// (exec.Donate), from the next Prepare on: Call consumes the Tensors fed
// for them, and Run may write its uploaded copies over.
func (b *Backend) Donate(inputs ...*graph.Node) {
	b.mu.Lock()
	b.donated = append(b.donated, inputs...)
	b.mu.Unlock()
}

// Device is the GPU the backend runs on.
func (b *Backend) Device() *Device { return b.dev }

// Prepare plans order (topological, loops lowered) for the device: fuses
// chains of elementwise ops into single kernels, picks a kernel for every
// other node, compiles them with NVRTC (cached by source hash) and uploads
// the constants. A node without a device kernel is an error wrapping
// ErrNoKernel, unless LOOM_CUDA_HOST=1 asks for such nodes to run on the
// host (their operands copied across the bus and back).
func (b *Backend) Prepare(order, outs []*graph.Node) error {
	p, err := newPlan(order, outs, hostFallback())
	if err != nil {
		return err
	}
	b.mu.Lock()
	if len(b.donated) > 0 {
		p.mem = planMemory(p, b.donated...)
	}
	b.mu.Unlock()
	err = b.e.g.do(func() error {
		seen := map[kernelSrc]bool{}
		for _, s := range p.steps {
			for _, k := range s.srcs {
				if seen[k] {
					continue
				}
				seen[k] = true
				if err := b.e.g.prepare(k.src, k.name); err != nil {
					return fmt.Errorf("exec/cuda: compiling the kernel of %%%d %s: %w", s.n.ID(), s.n.Op().Name(), err)
				}
			}
		}
		for n := range p.consts {
			t, err := b.e.put(n.Op().(*graph.Const).Value)
			if err != nil {
				return err
			}
			p.consts[n] = t
		}
		return nil
	})
	if err != nil {
		b.e.g.do(func() error { p.free(b.e); return nil })
		return err
	}
	runtime.SetFinalizer(p, func(p *plan) {
		for _, t := range p.consts {
			if t != nil {
				b.e.releaseLater(t.buf)
			}
		}
		if p.mem.arena != nil {
			b.e.releaseLater(p.mem.arena)
		}
	})
	b.mu.Lock()
	b.plan = p
	b.mu.Unlock()
	return nil
}

// free returns a plan's constants and arena (on the owner thread).
func (p *plan) free(e *engine) {
	p.mem.free(e)
	for n, t := range p.consts {
		if t != nil {
			e.release(t.buf)
			p.consts[n] = nil
		}
	}
}

// MemoryPlan is the prepared program's device memory plan (nil before
// Prepare): arena slots, in-place writes, peak bytes.
func (b *Backend) MemoryPlan() *memplan.Plan {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plan == nil {
		return nil
	}
	return b.plan.mem.plan
}

// HostOps lists the nodes of the prepared program that run on the host:
// the user's Custom ops (and loops kept around them), and, with
// LOOM_CUDA_HOST=1, ops without a device kernel. Fused how many elementwise nodes were folded into
// another node's kernel.
func (b *Backend) HostOps() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plan == nil {
		return nil
	}
	return append([]string(nil), b.plan.hostOps...)
}

// Fused is the number of elementwise nodes computed inside another node's
// kernel in the prepared program.
func (b *Backend) Fused() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plan == nil {
		return 0
	}
	return b.plan.inlined
}

// planFor is the prepared plan of order, preparing it if needed.
func (b *Backend) planFor(order, outs []*graph.Node) (*plan, error) {
	b.mu.Lock()
	p := b.plan
	b.mu.Unlock()
	if p != nil && slices.Equal(p.order, order) && slices.Equal(p.outs, outs) {
		return p, nil
	}
	if err := b.Prepare(order, outs); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.plan, nil
}

// Run implements exec.Backend: env holds the feeds (by input node) and
// receives the outputs, as host tensors.
func (b *Backend) Run(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	p, err := b.planFor(order, outs)
	if err != nil {
		return err
	}
	return b.e.g.do(func() error {
		feeds := map[*graph.Node]*Tensor{}
		ran := false // execute has dropped the donated copies' references
		defer func() {
			for n, t := range feeds {
				if !ran || !p.mem.donated[n] {
					b.e.release(t.buf)
				}
			}
		}()
		for _, n := range p.inputs {
			h, ok := env[n]
			if !ok {
				return fmt.Errorf("exec/cuda: input %q not fed", n.Op().(*graph.Input).Label)
			}
			t, err := b.e.put(h)
			if err != nil {
				return err
			}
			feeds[n] = t
		}
		ran = true
		res, err := p.execute(b.e, feeds)
		if err != nil {
			return err
		}
		defer func() {
			for _, t := range res {
				b.e.release(t.buf)
			}
		}()
		for k, o := range outs {
			h, err := b.e.get(res[k])
			if err != nil {
				return err
			}
			env[o] = h
		}
		return nil
	})
}

// Put copies a host tensor to the device, where it stays for Calls.
func (b *Backend) Put(h *tensor.Dense) (*Tensor, error) {
	if h == nil {
		return nil, fmt.Errorf("exec/cuda: Put: nil tensor")
	}
	var t *Tensor
	err := b.e.g.do(func() (err error) {
		t, err = b.e.put(h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return held(t), nil
}

// held gives t a finalizer returning its memory to the pool, for values
// the caller owns.
func held(t *Tensor) *Tensor {
	runtime.SetFinalizer(t, func(t *Tensor) { t.e.releaseLater(t.buf) })
	return t
}

// Call runs the program on device values fed by input name and returns
// device values: nothing crosses the bus but the kernels' launches (and
// the flag check of programs that gather or solve). It returns when the
// results are computed. The Tensors fed for donated inputs (Donate) are
// consumed once the run starts, even when it fails: their memory may hold
// the results, and they are no longer live values.
func (b *Backend) Call(order, outs []*graph.Node, feeds map[string]*Tensor) ([]*Tensor, error) {
	p, err := b.planFor(order, outs)
	if err != nil {
		return nil, err
	}
	byNode := map[*graph.Node]*Tensor{}
	fedAs := map[*Tensor]string{}
	for _, n := range p.inputs {
		name := n.Op().(*graph.Input).Label
		t := feeds[name]
		if t == nil {
			return nil, fmt.Errorf("exec/cuda: Call: input %q not fed", name)
		}
		if t.e != b.e || t.buf == nil {
			return nil, fmt.Errorf("exec/cuda: Call: input %q is not a live value of this device", name)
		}
		if want := n.Type(); t.dt != want.DType || !slices.Equal(t.shape, want.Shape) {
			return nil, fmt.Errorf("exec/cuda: Call: input %q is %v%v, want %s", name, t.dt, t.shape, want)
		}
		byNode[n] = t
		if other, ok := fedAs[t]; ok && (p.mem.donated[n] || p.mem.donated[p.inputNamed(other)]) {
			return nil, fmt.Errorf("exec/cuda: Call: inputs %q and %q are fed the same value, and one of them is donated", other, name)
		}
		fedAs[t] = name
	}
	var res []*Tensor
	err = b.e.g.do(func() (err error) {
		for n, t := range byNode {
			if t.buf.refs <= 0 {
				return fmt.Errorf("exec/cuda: Call: input %q was freed", n.Op().(*graph.Input).Label)
			}
		}
		res, err = p.execute(b.e, byNode)
		for n, t := range byNode { // execute dropped their references
			if p.mem.donated[n] {
				runtime.SetFinalizer(t, nil)
				t.buf = nil
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for k := range res {
		res[k] = held(res[k])
	}
	return res, nil
}

// inputNamed is the plan's input called name, or nil.
func (p *plan) inputNamed(name string) *graph.Node {
	for _, n := range p.inputs {
		if n.Op().(*graph.Input).Label == name {
			return n
		}
	}
	return nil
}

// Dense copies the value back to the host.
func (t *Tensor) Dense() (*tensor.Dense, error) {
	if t == nil || t.buf == nil {
		return nil, fmt.Errorf("exec/cuda: Dense: not a live value")
	}
	var h *tensor.Dense
	err := t.e.g.do(func() (err error) {
		h, err = t.e.get(t)
		return err
	})
	return h, err
}

// Free returns the value's memory to the device's pool now, rather than
// when the garbage collector finds it unreachable.
func (t *Tensor) Free() {
	if t == nil || t.buf == nil {
		return
	}
	runtime.SetFinalizer(t, nil)
	b := t.buf
	t.buf = nil
	t.e.g.do(func() error { t.e.release(b); return nil })
}
