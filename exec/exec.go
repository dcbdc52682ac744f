package exec

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/cpu"
	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/exec/ref"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/optimize"
)

// Backend runs a compiled program's nodes: order is topological, env holds
// the feeds on entry and at least the outputs on return. Implementations
// live one per package (exec/ref, exec/cpu) and must be safe for concurrent
// Runs on distinct envs.
type Backend interface {
	Name() string
	// outs are the values the caller reads back; everything else may be
	// dropped from env after its last use.
	Run(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense) error
}

// Option configures Compile.
type Option func(*config)

type config struct {
	backend Backend
	opt     optimize.Options
	err     error
	donate  []string // Donate's input names
}

// Debug checks the graph's invariants after every optimizer pass and prints
// the program after the named pass ("all" for every one) to stderr — what the
// LOOM_VERIFY and LOOM_DUMP environment variables do.
func Debug(dumpAfter string) Option {
	return func(c *config) {
		c.opt.Verify = true
		c.opt.Dump = dumpAfter
	}
}

// OnCPU runs the program on the host's cores (the default).
func OnCPU() Option { return func(c *config) { c.backend = cpu.Backend{} } }

// Reference runs the unoptimized reference interpreter, the test oracle.
func Reference() Option { return func(c *config) { c.backend = ref.Backend{} } }

// OnCUDA runs the program on an NVIDIA GPU (exec/cuda: the CUDA driver,
// NVRTC and cuBLAS loaded at run time, no cgo). Where no usable GPU is
// found, Compile fails with an error naming what is missing instead of
// silently using the CPU.
func OnCUDA() Option {
	return func(c *config) {
		b, err := cuda.New()
		if err != nil {
			c.err = fmt.Errorf("exec: OnCUDA: no usable GPU: %w", err)
			return
		}
		c.backend = b
	}
}

// preparer is a Backend that plans the optimized program at Compile time,
// so that an op it cannot run fails Compile rather than the first Run.
type preparer interface {
	Prepare(order, outs []*graph.Node) error
}

// Program is a compiled graph, ready to Run.
type Program struct {
	src     []*graph.Node // the outputs as the user built them (Explain)
	outs    []*graph.Node
	order   []*graph.Node // top-level nodes needed, in topological order
	inputs  []*graph.Node // every input the graph declares, by name
	byName  map[string]*graph.Node
	names   []string // the inputs' names, in declaration order (for errors)
	needed  map[*graph.Node]bool
	backend Backend
	origins *origins
	donated map[*graph.Node]bool // Donate's inputs
	donates map[string]bool      // and their names
	consts  []span               // the constants' memory (a donated feed must not share it)
}

// Compile checks the graph and prepares outputs for running.
func Compile(outputs []*graph.Node, opts ...Option) (*Program, error) {
	cfg := config{backend: cpu.Backend{}, opt: optimize.FromEnv()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if len(outputs) == 0 {
		return nil, errors.New("exec: Compile: no outputs")
	}
	var g *graph.Graph
	for k, o := range outputs {
		if o == nil {
			return nil, fmt.Errorf("exec: Compile: output %d is nil", k)
		}
		if o.Graph() == nil {
			return nil, fmt.Errorf("exec: Compile: output %d: %v", k, o.Err())
		}
		if g == nil {
			g = o.Graph()
		} else if o.Graph() != g {
			return nil, fmt.Errorf("exec: Compile: output %d belongs to another graph", k)
		}
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	for k, o := range outputs {
		if err := o.Err(); err != nil {
			return nil, err
		}
		if o.InLoop() {
			return nil, fmt.Errorf("exec: Compile: output %d (built at %s) is a value inside a loop body; return it from the loop's Do and use the loop's result", k, o.Site())
		}
	}
	p := &Program{outs: append([]*graph.Node(nil), outputs...), backend: cfg.backend, inputs: g.Inputs(), byName: map[string]*graph.Node{}}
	for _, in := range p.inputs {
		name := in.Op().(*graph.Input).Label
		p.byName[name] = in
		p.names = append(p.names, name)
	}
	p.src = p.outs
	if err := p.setDonated(cfg.donate); err != nil {
		return nil, err
	}
	if _, isRef := cfg.backend.(ref.Backend); !isRef {
		g.Lock()
		lowered, err := optimize.Run(p.outs, cfg.opt)
		g.Unlock()
		if err != nil {
			return nil, fmt.Errorf("exec: Compile: %w", err)
		}
		p.outs = lowered
	}
	p.order = graph.Needed(p.outs)
	p.needed = map[*graph.Node]bool{}
	for _, n := range p.order {
		p.needed[n] = true
	}
	p.origins = newOrigins(p.order)
	p.consts = constSpans(p.order)
	switch b := p.backend.(type) {
	case cpu.Backend: // plan memory once, not per run
		p.backend = b.Compile(p.order, p.outs, p.donatedInputs()...)
	case *cuda.Backend:
		b.Donate(p.donatedInputs()...)
	}
	if pr, ok := p.backend.(preparer); ok {
		if err := pr.Prepare(p.order, p.outs); err != nil {
			return nil, fmt.Errorf("exec: Compile: %w", err)
		}
	}
	return p, nil
}
