package nn

import (
	"fmt"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Params is an ordered, named set of a model's parameters. Each parameter is
// a graph input (so autodiff can differentiate with respect to it and the
// program is fed its current value at Run) together with that value.
//
// A Params value is a view with a name prefix: Scope("block0") returns a view
// of the same set whose names start with "block0.", so nested modules get
// names like "block0.attn.wq". Names, Nodes, Values, Save and Load on a view
// see only the parameters under its prefix.
type Params struct {
	g      *graph.Graph
	dt     tensor.Dtype
	prefix string
	s      *store
	bad    error // a scope with a bad name: Add returns poisoned nodes
}

// store is what every view of one set shares.
type store struct {
	names []string // creation order
	nodes map[string]*graph.Node
	vals  map[string]*tensor.Dense
}

// NewParams returns an empty set whose parameters live in g and have dtype dt
// (float32 or float64: a model's parameters share one dtype, so a float64
// initial value in a float32 model is caught when it is added).
func NewParams(g *graph.Graph, dt tensor.Dtype) *Params {
	if g != nil && dt != tensor.Float32 && dt != tensor.Float64 {
		g.Fail("nn.NewParams", "parameters must be float32 or float64, not %v", dt)
	}
	return &Params{g: g, dt: dt, s: &store{nodes: map[string]*graph.Node{}, vals: map[string]*tensor.Dense{}}}
}

// Graph is the graph the parameters are inputs of.
func (p *Params) Graph() *graph.Graph { return p.g }

// DType is the parameters' element type.
func (p *Params) DType() tensor.Dtype { return p.dt }

// Prefix is the view's name prefix ("" for the whole set, else "a.b.").
func (p *Params) Prefix() string { return p.prefix }

// Scope returns the view of the same set under name: parameters added to it
// are called name.<param>. Scopes nest.
func (p *Params) Scope(name string) *Params {
	if p == nil {
		return nil
	}
	q := *p
	if err := checkName(name); err != nil && q.bad == nil {
		q.bad = p.fail("nn.Params.Scope", "scope %q: %v", name, err).Err()
	}
	q.prefix = p.prefix + name + "."
	return &q
}

// Add declares the parameter name (under the view's prefix) with initial
// value init, which is copied. It returns the parameter's graph input. A bad
// name, a duplicate, or an init of the wrong dtype is a build error recorded
// on the graph at the caller's line, and the returned node is poisoned.
func (p *Params) Add(name string, init *tensor.Dense) *graph.Node {
	if p == nil || p.g == nil {
		return nil
	}
	full := p.prefix + name
	switch {
	case p.bad != nil:
		return p.g.Fail("nn.Params.Add", "parameter %q: %v", full, p.bad)
	case checkName(name) != nil:
		return p.fail("nn.Params.Add", "parameter %q: %v", full, checkName(name))
	case p.s.nodes[full] != nil:
		return p.fail("nn.Params.Add", "parameter %q added twice", full)
	case init == nil:
		return p.fail("nn.Params.Add", "parameter %q: nil initial value", full)
	case init.Dtype() != p.dt:
		return p.fail("nn.Params.Add", "parameter %q: initial value is %v, the set holds %v", full, init.Dtype(), p.dt)
	}
	shape := dense.Shape(init)
	n := p.g.Input(full, p.dt, shape...)
	if n.Err() != nil {
		return n
	}
	p.s.names = append(p.s.names, full)
	p.s.nodes[full] = n
	p.s.vals[full] = dense.Clone(init)
	return n
}

// fail records a build error at the user's line and returns a poisoned node.
func (p *Params) fail(op, format string, args ...any) *graph.Node {
	if p.g == nil {
		return nil
	}
	return p.g.Fail(op, format, args...)
}

// checkName keeps names usable as file names: no path separators, no empty
// dot-separated part (so "a..b" or ".a" cannot appear).
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("names may not contain '/', '\\' or NUL")
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return fmt.Errorf("empty part between dots")
		}
	}
	return nil
}

// Names returns the full names of the view's parameters, in the order they
// were added.
func (p *Params) Names() []string {
	var out []string
	for _, n := range p.s.names {
		if strings.HasPrefix(n, p.prefix) {
			out = append(out, n)
		}
	}
	return out
}

// Nodes returns the parameters' graph inputs in Names order: the wrt list for
// autodiff.Grad.
func (p *Params) Nodes() []*graph.Node {
	names := p.Names()
	out := make([]*graph.Node, len(names))
	for k, n := range names {
		out[k] = p.s.nodes[n]
	}
	return out
}

// Values returns the parameters' current values in Names order. They are the
// set's own tensors: an optimiser that updates them in place updates the set.
func (p *Params) Values() []*tensor.Dense {
	names := p.Names()
	out := make([]*tensor.Dense, len(names))
	for k, n := range names {
		out[k] = p.s.vals[n]
	}
	return out
}

// Node returns the graph input of the parameter name (relative to the view),
// or nil if there is none.
func (p *Params) Node(name string) *graph.Node { return p.s.nodes[p.prefix+name] }

// Value returns the current value of the parameter name (relative to the
// view), or nil if there is none.
func (p *Params) Value(name string) *tensor.Dense { return p.s.vals[p.prefix+name] }

// Set copies t into the parameter name (relative to the view) after checking
// its dtype and shape.
func (p *Params) Set(name string, t *tensor.Dense) error {
	full := p.prefix + name
	cur := p.s.vals[full]
	if cur == nil {
		return fmt.Errorf("nn: Set: no parameter %q", full)
	}
	if err := match(full, cur, t); err != nil {
		return fmt.Errorf("nn: Set: %w", err)
	}
	dense.CopyElems(cur, 0, dense.Contiguous(t), 0, cur.Size())
	return nil
}

// match checks that t can replace the value cur of parameter name.
func match(name string, cur, t *tensor.Dense) error {
	switch {
	case t == nil:
		return fmt.Errorf("parameter %q: nil value", name)
	case t.Dtype() != cur.Dtype():
		return fmt.Errorf("parameter %q: dtype %v, want %v", name, t.Dtype(), cur.Dtype())
	case !slices.Equal(dense.Shape(t), dense.Shape(cur)):
		return fmt.Errorf("parameter %q: shape %v, want %v", name, dense.Shape(t), dense.Shape(cur))
	}
	return nil
}

// Feeds adds every parameter's current value to feeds under its name, for
// exec.Program.Run, and returns feeds (a new map if feeds is nil).
func (p *Params) Feeds(feeds map[string]*tensor.Dense) map[string]*tensor.Dense {
	if feeds == nil {
		feeds = map[string]*tensor.Dense{}
	}
	for _, n := range p.Names() {
		feeds[n] = p.s.vals[n]
	}
	return feeds
}

// Count is the number of scalar parameters in the view.
func (p *Params) Count() int {
	total := 0
	for _, v := range p.Values() {
		total += v.Size()
	}
	return total
}
