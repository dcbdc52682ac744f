package graph

import (
	"fmt"
	"sort"
	"sync"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Graph records a lazy program. It is built by one goroutine; once built it
// is read-only and may be compiled and run from many.
type Graph struct {
	nodes  []*Node // top-level nodes, in creation (topological) order
	inputs map[string]*Node
	axes   []*Axis
	err    error
	stack  []*scope // loops being traced, outermost first
	nextID int
	site   string     // while rewriting (lowering), the site new nodes get
	mu     sync.Mutex // held by compilers that rewrite the graph
}

// New returns an empty graph.
func New() *Graph { return &Graph{inputs: map[string]*Node{}} }

// Err returns the first build error, with the user's call site, or nil.
func (g *Graph) Err() error { return g.err }

// Nodes returns the top-level nodes in topological order (loop bodies are
// reached through their Loop op).
func (g *Graph) Nodes() []*Node { return append([]*Node(nil), g.nodes...) }

// Inputs returns the graph's inputs sorted by name.
func (g *Graph) Inputs() []*Node {
	out := make([]*Node, 0, len(g.inputs))
	for _, n := range g.inputs {
		out = append(out, n)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].op.(*Input).Label < out[b].op.(*Input).Label })
	return out
}

// fail records err as the graph's error if it is the first, and returns a
// node poisoned by it.
func (g *Graph) fail(site, op, format string, args ...any) *Node {
	err := &Error{Site: site, Op: op, Msg: fmt.Sprintf(format, args...)}
	if g != nil && g.err == nil {
		g.err = err
	}
	return &Node{g: g, err: err, site: site}
}

// Fail records a build error at the user's call site for op and returns a
// poisoned node. Builders outside this package use it for argument errors
// their Infer rule cannot see (a bad spec string, a nil option).
func (g *Graph) Fail(op, format string, args ...any) *Node {
	return g.fail(callSite(), op, format, args...)
}

// Input declares a value fed at Run time by name.
func (g *Graph) Input(name string, dt tensor.Dtype, dims ...int) *Node {
	site := callSite()
	if name == "" {
		return g.fail(site, "Input", "empty name")
	}
	if _, dup := g.inputs[name]; dup {
		return g.fail(site, "Input", "input %q declared twice", name)
	}
	if !Supported(dt) {
		return g.fail(site, "Input", "input %q: unsupported dtype %v (want float32, float64, int64 or bool)", name, dt)
	}
	for _, d := range dims {
		if d < 0 {
			return g.fail(site, "Input", "input %q: negative dim in %v", name, dims)
		}
	}
	n := g.newTop(&Input{Label: name}, nil, Of(dt, dims), site)
	g.inputs[name] = n
	return n
}

// Const embeds a copy of t in the graph.
func (g *Graph) Const(t *tensor.Dense) *Node {
	site := callSite()
	if t == nil {
		return g.fail(site, "Const", "nil tensor")
	}
	if !Supported(t.Dtype()) {
		return g.fail(site, "Const", "unsupported dtype %v (want float32, float64, int64 or bool)", t.Dtype())
	}
	c := dense.Clone(t)
	return g.newTop(&Const{Value: c}, nil, Of(c.Dtype(), dense.Shape(c)), site)
}

// Scalar embeds the rank-0 constant v converted to dt.
func (g *Graph) Scalar(v float64, dt tensor.Dtype) *Node {
	site := callSite()
	if !Supported(dt) {
		return g.fail(site, "Scalar", "unsupported dtype %v (want float32, float64, int64 or bool)", dt)
	}
	if dt == tensor.Int64 && v != float64(int64(v)) {
		return g.fail(site, "Scalar", "%v is not an integer, for an int64 scalar", v)
	}
	c := dense.FromF64(dt, nil, []float64{v})
	return g.newTop(&Const{Value: c}, nil, Of(dt, nil), site)
}

// newTop adds a node at top level, outside any loop being traced: inputs and
// constants belong to the whole program and are captured into bodies.
func (g *Graph) newTop(op Op, in []*Node, t Type, site string) *Node {
	n := &Node{g: g, id: g.nextID, op: op, in: in, typ: t, site: site}
	g.nextID++
	g.nodes = append(g.nodes, n)
	return n
}

// Apply records op applied to in at the caller's site: it checks the inputs,
// threads values from enclosing scopes into the loop being traced, and runs
// the op's shape rule. Errors poison the result and are kept on the graph.
func Apply(op Op, in ...*Node) *Node {
	return apply("", op, in)
}

// apply builds op on in at site; "" means where the node is built now
// (Graph.here), found only when needed: walking the stack for every node a
// rewrite builds was half of compiling a gradient.
func apply(site string, op Op, in []*Node) *Node {
	var g *Graph
	for _, x := range in {
		if x != nil && x.g != nil {
			g = x.g
			break
		}
	}
	if g == nil {
		return (*Graph)(nil).fail(callSite(), op.Name(), "no inputs from a graph")
	}
	if g.site != "" || site == "" {
		site = g.here()
	}
	for k, x := range in {
		if x == nil {
			return g.fail(site, op.Name(), "input %d is nil", k)
		}
		if x.g != g {
			return g.fail(site, op.Name(), "input %d belongs to another graph", k)
		}
	}
	for _, x := range in {
		if x.err != nil {
			return &Node{g: g, err: x.err, site: site}
		}
	}
	cur := g.current()
	args := make([]*Node, len(in))
	for k, x := range in {
		v, err := g.bring(x, cur)
		if err != nil {
			return g.fail(site, op.Name(), "input %d: %v", k, err)
		}
		args[k] = v
	}
	return g.record(site, op, args, cur)
}

// record runs op's shape rule on args (already in scope cur) and adds the node.
func (g *Graph) record(site string, op Op, args []*Node, cur *scope) *Node {
	types := make([]Type, len(args))
	for k, x := range args {
		types[k] = x.typ
	}
	t, err := op.Infer(types)
	if err != nil {
		return g.fail(site, op.Name(), "%v", err)
	}
	if t.Labels == nil {
		t.Labels = inheritLabels(t, types)
	}
	t.Shape = append([]int{}, t.Shape...)
	t.Mapped = unionMapped(args)
	n := &Node{g: g, id: g.nextID, op: op, in: args, typ: t, site: site, scope: cur}
	g.nextID++
	if cur == nil {
		g.nodes = append(g.nodes, n)
	} else {
		cur.nodes = append(cur.nodes, n)
	}
	return n
}

// inheritLabels gives an output the axis names of an input of the same shape
// (what elementwise ops want) when the op's rule did not set them.
func inheritLabels(t Type, in []Type) []*Axis {
	for _, x := range in {
		if x.Labels != nil && SameShape(t, x) {
			return append([]*Axis(nil), x.Labels...)
		}
	}
	return nil
}

func unionMapped(in []*Node) []*Axis {
	var out []*Axis
	seen := map[*Axis]bool{}
	for _, x := range in {
		for _, a := range x.typ.Mapped {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sortByDepth(out)
	return out
}

func sortByDepth(axes []*Axis) {
	sort.SliceStable(axes, func(i, j int) bool { return axes[i].depth < axes[j].depth })
}

// Reapply applies n's op to new operands in the current context (a rewrite
// keeps the op and its site).
func Reapply(n *Node, in []*Node) *Node {
	site := n.site
	if n.g != nil && n.g.site != "" {
		site = n.g.site
	}
	return apply(site, n.op, in)
}

// WithSite runs fn with every node it builds attributed to site: rewrites
// (lowering) keep pointing errors and printing at the user's line.
func (g *Graph) WithSite(site string, fn func()) {
	old := g.site
	g.site = site
	defer func() { g.site = old }()
	fn()
}

// Tracing reports whether a loop body is being traced.
func (g *Graph) Tracing() bool { return len(g.stack) > 0 }

// Lock and Unlock serialize compilers that append rewritten nodes to the
// graph (building a graph is single-goroutine; compiling may not be).
func (g *Graph) Lock()   { g.mu.Lock() }
func (g *Graph) Unlock() { g.mu.Unlock() }
