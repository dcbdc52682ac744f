package graph

import "fmt"

// scope is a loop body being traced (and, once closed, the body's record).
type scope struct {
	axis     *Axis
	parent   *scope
	depth    int
	nodes    []*Node // recorded in the body, in order
	params   []*Node
	captures []*Node // per param: the value in the parent scope
	inDims   []int   // per param: dim of the capture mapped over axis, or -1
	index    map[capKey]*Node
	closed   bool
}

type capKey struct {
	x   *Node
	dim int
}

func (g *Graph) current() *scope {
	if len(g.stack) == 0 {
		return nil
	}
	return g.stack[len(g.stack)-1]
}

// encloses reports whether outer is s or one of its ancestors (nil, the top
// level, encloses everything).
func encloses(outer, s *scope) bool {
	for ; s != nil; s = s.parent {
		if s == outer {
			return true
		}
	}
	return outer == nil
}

// bring makes x usable in scope cur: values of enclosing scopes become
// (shared) parameters of cur; values of closed loops are an error.
func (g *Graph) bring(x *Node, cur *scope) (*Node, error) {
	if x.scope == cur {
		return x, nil
	}
	if x.scope != nil && x.scope.closed {
		return nil, fmt.Errorf("value %s was built inside the loop over %s (at %s) and cannot be used outside it; return it from the loop body instead",
			x.typ.Dims(), x.scope.axis.name, x.site)
	}
	if !encloses(x.scope, cur) {
		return nil, fmt.Errorf("value %s belongs to a loop over %s that does not enclose this one", x.typ.Dims(), x.scope.axis.name)
	}
	return g.thread(x, cur), nil
}

// thread passes x (from an enclosing scope) into cur as a shared parameter of
// every scope in between.
func (g *Graph) thread(x *Node, cur *scope) *Node {
	if x.scope == cur {
		return x
	}
	v, _ := g.capture(x, cur, -1) // dim -1 cannot fail
	return v
}

// capture returns a parameter of s standing for x (which lives in an enclosing
// scope): x mapped over s's axis on dim, or shared when dim is -1.
func (g *Graph) capture(x *Node, s *scope, dim int) (*Node, error) {
	outer := x
	if s.parent != x.scope {
		outer = g.thread(x, s.parent)
	}
	key := capKey{outer, dim}
	if p, ok := s.index[key]; ok {
		return p, nil
	}
	t := outer.typ
	t.Shape = append([]int{}, t.Shape...)
	t.Mapped = append([]*Axis(nil), t.Mapped...)
	if dim >= 0 {
		if dim >= len(t.Shape) {
			return nil, fmt.Errorf("no dim %d in %s", dim, t.Dims())
		}
		if err := s.axis.fixSize(t.Shape[dim], fmt.Sprintf("dim %d of %s", dim, t.Dims())); err != nil {
			return nil, err
		}
		t.Shape = append(t.Shape[:dim:dim], t.Shape[dim+1:]...)
		if t.Labels != nil {
			t.Labels = append(append([]*Axis(nil), t.Labels[:dim]...), t.Labels[dim+1:]...)
		}
		t.Mapped = append(t.Mapped, s.axis)
		sortByDepth(t.Mapped)
	}
	p := &Node{g: g, id: g.nextID, op: &Param{Index: len(s.params), Dim: dim, Axis: s.axis}, typ: t, site: outer.site, scope: s}
	g.nextID++
	s.params = append(s.params, p)
	s.captures = append(s.captures, outer)
	s.inDims = append(s.inDims, dim)
	s.index[key] = p
	return p, nil
}

// Loop traces body once as the code for one index of a, and returns the loop
// node whose visible dims are [a, body result dims...]. vmap.For is the
// user-facing form; Loop is its one-axis building block.
func (g *Graph) Loop(a *Axis, body func() *Node) *Node {
	site := callSite()
	if g != nil && g.site != "" {
		site = g.site
	}
	switch {
	case a == nil:
		return g.fail(site, "vmap", "nil axis")
	case a.g != g:
		return g.fail(site, "vmap", "axis %s belongs to another graph", a.name)
	case a.active != nil:
		return g.fail(site, "vmap", "axis %s is already looped over by an enclosing loop", a.name)
	case body == nil:
		return g.fail(site, "vmap", "nil body")
	}
	parent := g.current()
	s := &scope{axis: a, parent: parent, index: map[capKey]*Node{}}
	if parent != nil {
		s.depth = parent.depth + 1
	}
	a.active, a.depth = s, s.depth
	g.stack = append(g.stack, s)
	var r *Node
	func() {
		defer func() { // a panicking body must not leave the loop open
			g.stack = g.stack[:len(g.stack)-1]
			a.active = nil
			s.closed = true
		}()
		r = body()
		if r != nil && r.err == nil && r.g == g {
			var err error
			if r, err = g.bring(r, s); err != nil {
				r = g.fail(site, "vmap", "body result: %v", err)
			}
		}
	}()
	switch {
	case r == nil:
		return g.fail(site, "vmap", "loop over %s: body returned nil", a.name)
	case r.g != g:
		return g.fail(site, "vmap", "loop over %s: body returned a value of another graph", a.name)
	case r.err != nil:
		return &Node{g: g, err: r.err, site: site}
	case a.size == 0:
		return g.fail(site, "vmap", "axis %s has no size: index a value with it (x.At(%s, ...)) or give it a size in g.Axis", a.name, a.name)
	}
	op := &LoopOp{Axis: a, Size: a.size, Body: s.body(r), InDims: append([]int(nil), s.inDims...)}
	return g.record(site, op, append([]*Node(nil), s.captures...), parent)
}

// body freezes the traced scope into a Body: the parameters, and the nodes
// the result needs, in order.
func (s *scope) body(r *Node) *Body {
	need := map[*Node]bool{r: true}
	for k := len(s.nodes) - 1; k >= 0; k-- {
		n := s.nodes[k]
		if need[n] {
			for _, x := range n.in {
				need[x] = true
			}
		}
	}
	b := &Body{Params: append([]*Node(nil), s.params...), Result: r}
	for _, n := range s.nodes {
		if need[n] {
			b.Nodes = append(b.Nodes, n)
		}
	}
	return b
}
