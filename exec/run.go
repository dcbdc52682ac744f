package exec

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Run feeds inputs by name, runs the program and returns fresh output tensors
// that share no memory with the feeds, the graph's constants, or each other
// — except the feeds of donated inputs (Donate), whose memory an output may
// have taken over.
func (p *Program) Run(feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
	env, err := p.bind(feeds)
	if err != nil {
		return nil, err
	}
	donate := p.donatable(env)
	// Outputs must not share memory with feeds, constants or each other
	// (a copy-free reshape may return a view of any of them).
	borrowed := map[uintptr]bool{}
	for n, t := range env {
		if !donate[n] {
			borrowed[dense.Backing(t)] = true
		}
	}
	for _, n := range p.order {
		if c, ok := n.Op().(*graph.Const); ok {
			borrowed[dense.Backing(c.Value)] = true
		}
	}
	if err := p.runBackend(env, donate); err != nil {
		return nil, p.explainRunError(err)
	}
	outs := make([]*tensor.Dense, len(p.outs))
	for k, o := range p.outs {
		t := env[o]
		if at := dense.Backing(t); at != 0 {
			if borrowed[at] {
				t = dense.Clone(t)
			}
			borrowed[dense.Backing(t)] = true
		}
		outs[k] = t
	}
	return outs, nil
}

// bind validates feeds against the graph's inputs.
func (p *Program) bind(feeds map[string]*tensor.Dense) (map[*graph.Node]*tensor.Dense, error) {
	var unknown []string
	for name := range feeds {
		if p.byName[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("exec: Run: unknown input %q (the graph's inputs are: %s)", unknown[0], strings.Join(p.names, ", "))
	}
	env := map[*graph.Node]*tensor.Dense{}
	for _, in := range p.inputs {
		name := in.Op().(*graph.Input).Label
		t, ok := feeds[name]
		if !p.needed[in] {
			if ok {
				if err := check(name, in.Type(), t); err != nil {
					return nil, err
				}
			}
			continue
		}
		if !ok {
			return nil, fmt.Errorf("exec: Run: input %q not fed (want %s)", name, in.Type())
		}
		if err := check(name, in.Type(), t); err != nil {
			return nil, err
		}
		env[in] = dense.Contiguous(t)
	}
	return env, nil
}

func check(name string, want graph.Type, t *tensor.Dense) error {
	if t == nil {
		return fmt.Errorf("exec: Run: input %q is nil (want %s)", name, want)
	}
	if t.Dtype() != want.DType {
		return fmt.Errorf("exec: Run: input %q has dtype %v, want %v (%s)", name, t.Dtype(), want.DType, want)
	}
	if got := dense.Shape(t); !slices.Equal(got, want.Shape) {
		return fmt.Errorf("exec: Run: input %q has shape %v, want %v", name, got, want.Shape)
	}
	return nil
}

// explainRunError names the inputs a failing value was computed from.
func (p *Program) explainRunError(err error) error {
	var re *graph.RunError
	if !errors.As(err, &re) {
		return fmt.Errorf("exec: Run: %w", err)
	}
	var from []string
	switch re.Node.Op().(type) {
	case *graph.Gather, *graph.TakeOp: // name where the index came from
		from = p.origins.of(re.Node.Inputs()[1])
	default:
		from = p.origins.of(re.Node)
	}
	if len(from) == 0 {
		return fmt.Errorf("exec: Run: %w", err)
	}
	return fmt.Errorf("exec: Run: input %s: %w", strings.Join(from, ", input "), err)
}

// origins finds the graph inputs a value depends on, through loop params.
type origins struct {
	outer map[*graph.Node]*graph.Node // loop param -> the value it captures
}

func newOrigins(order []*graph.Node) *origins {
	o := &origins{outer: map[*graph.Node]*graph.Node{}}
	var walk func(ns []*graph.Node)
	walk = func(ns []*graph.Node) {
		for _, n := range ns {
			if l, ok := n.Op().(*graph.LoopOp); ok {
				for k, prm := range l.Body.Params {
					o.outer[prm] = n.Inputs()[k]
				}
				walk(l.Body.Nodes)
			}
		}
	}
	walk(order)
	return o
}

func (o *origins) of(n *graph.Node) []string {
	seen := map[*graph.Node]bool{}
	var names []string
	var visit func(n *graph.Node)
	visit = func(n *graph.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch op := n.Op().(type) {
		case *graph.Input:
			names = append(names, fmt.Sprintf("%q", op.Label))
		case *graph.Param:
			visit(o.outer[n])
		case *graph.LoopOp:
			for _, x := range n.Inputs() {
				visit(x)
			}
		default:
			for _, x := range n.Inputs() {
				visit(x)
			}
		}
	}
	visit(n)
	sort.Strings(names)
	return names
}
