package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// fuse turns chains of elementwise ops into single kernels (nodes.FusedOp):
// a value used only inside one chain is never written to memory. A chain may
// end in a reduction or a softmax, and may start from a matrix product used
// only by it (nodes.FusedMatMulOp: the GEMM's output pass runs the chain).
//
// Groups grow from their last op backwards: a value joins its consumers'
// group when every consumer is in that group, it is not a program output,
// and it has the group's shape and dtype (a smaller value used by a
// broadcasting op is an operand instead, so nothing is computed twice).
func fuse(outs []*graph.Node) ([]*graph.Node, error) {
	order := graph.Needed(outs)
	f := &fuser{users: map[*graph.Node][]*graph.Node{}, out: map[*graph.Node]bool{}, of: map[*graph.Node]*group{}}
	for _, n := range order {
		for _, x := range n.Inputs() {
			f.users[x] = append(f.users[x], n)
		}
	}
	for _, o := range outs {
		f.out[o] = true
	}
	for i := len(order) - 1; i >= 0; i-- {
		f.visit(order[i])
	}
	for _, g := range f.groups {
		f.attachProduct(g)
	}
	return f.rebuild(order, outs)
}

// A group is one future kernel.
type group struct {
	root    *graph.Node // the node the kernel replaces
	result  *graph.Node // the elementwise value before the tail (root without one)
	shape   []int
	tail    nodes.Tail
	members map[*graph.Node]bool // elementwise nodes computed inside
	bcast   map[*graph.Node]bool // broadcasts and transposes read as strided operands
	product *graph.Node          // a matmul whose output pass runs the group
	via     *graph.Node          // the reshape between product and group, if any
}

// worth says whether the group beats the nodes it replaces.
func (g *group) worth() bool {
	return len(g.members) >= 2 || len(g.members) == 1 && (g.tail.Kind != nodes.TailNone || len(g.bcast) > 0) || g.product != nil
}

type fuser struct {
	users  map[*graph.Node][]*graph.Node
	out    map[*graph.Node]bool
	of     map[*graph.Node]*group // every member, broadcast and root
	groups []*group
}

// visit places n: into its consumers' group, or as the root of a new one.
// Consumers come later in topological order, so they are placed already.
func (f *fuser) visit(n *graph.Node) {
	if g := f.consumerGroup(n); g != nil && slices.Equal(n.Shape(), g.shape) {
		switch {
		case f.elementwise(n, g):
			g.members[n] = true
			f.of[n] = g
			return
		case f.condition(n, g):
			g.members[n] = true
			f.of[n] = g
			return
		case (isBroadcast(n) || isTranspose(n)) && n.DType() == g.result.DType():
			g.bcast[n] = true
			f.of[n] = g
			return
		}
	}
	switch op := n.Op().(type) {
	case *nodes.Reduce:
		x := n.Inputs()[0]
		axes := op.Axes
		if axes == nil {
			axes = make([]int, x.Rank())
			for k := range axes {
				axes[k] = k
			}
		}
		if len(axes) > 0 && f.singleUse(x) && f.elementwiseOp(x) {
			f.start(n, x, nodes.Tail{Kind: nodes.TailReduce, Reduce: op.Kind, Axes: slices.Clone(axes)})
		}
	case *nodes.SoftmaxOp:
		x := n.Inputs()[0]
		axis := 0
		if op.Batched {
			axis = op.Axis
		}
		tail := nodes.Tail{Kind: nodes.TailSoftmax, Axis: axis, Log: op.Log}
		if f.singleUse(x) && (f.elementwiseOp(x) || axis == x.Rank()-1 && product(x) != nil) {
			f.start(n, x, tail)
		}
	default:
		if f.elementwiseOp(n) {
			f.start(n, n, nodes.Tail{})
		}
	}
}

// start opens a group rooted at root whose elementwise value is result.
func (f *fuser) start(root, result *graph.Node, tail nodes.Tail) {
	g := &group{root: root, result: result, shape: result.Shape(), tail: tail,
		members: map[*graph.Node]bool{}, bcast: map[*graph.Node]bool{}}
	f.of[root] = g
	if f.elementwiseOp(result) {
		g.members[result] = true
		f.of[result] = g
	}
	f.groups = append(f.groups, g)
}

// consumerGroup is the group every consumer of n computes in, or nil.
func (f *fuser) consumerGroup(n *graph.Node) *group {
	if f.out[n] || len(f.users[n]) == 0 {
		return nil
	}
	var g *group
	for _, u := range f.users[n] {
		h := f.of[u]
		if h == nil || (g != nil && h != g) || !(h.members[u] || u == h.root && h.result == n) {
			return nil
		}
		g = h
	}
	return g
}

func (f *fuser) singleUse(x *graph.Node) bool { return !f.out[x] && len(f.users[x]) == 1 }

// elementwise reports whether n can compute inside g.
func (f *fuser) elementwise(n *graph.Node, g *group) bool {
	return f.elementwiseOp(n) && n.DType() == g.result.DType()
}

// elementwiseOp reports a float elementwise op a kernel computes in place
// per element: unary and arithmetic binary ops, and Where on a comparison
// computed only for it.
func (f *fuser) elementwiseOp(n *graph.Node) bool {
	if !graph.IsFloat(n.DType()) || n.Rank() == 0 {
		return false
	}
	switch op := n.Op().(type) {
	case *nodes.Unary:
		return true
	case *nodes.Binary:
		return !op.IsComparison()
	case *nodes.WhereOp:
		c := n.Inputs()[0]
		cmp, ok := c.Op().(*nodes.Binary)
		return ok && cmp.IsComparison() && f.singleUse(c) && graph.IsFloat(c.Inputs()[0].DType()) &&
			slices.Equal(c.Shape(), n.Shape())
	}
	return false
}

// condition reports a float comparison whose only use is as the condition
// of a Where in g: the kernel keeps it as a mask, never as bools in memory.
func (f *fuser) condition(n *graph.Node, g *group) bool {
	cmp, ok := n.Op().(*nodes.Binary)
	if !ok || !cmp.IsComparison() || !f.singleUse(n) || !graph.IsFloat(n.Inputs()[0].DType()) {
		return false
	}
	u := f.users[n][0]
	_, isWhere := u.Op().(*nodes.WhereOp)
	return isWhere && g.members[u] && u.Inputs()[0] == n && n.Inputs()[0].DType() == g.result.DType()
}

func isBroadcast(n *graph.Node) bool {
	_, ok := n.Op().(*nodes.BroadcastOp)
	return ok
}

// product is the float matmul x is (or a reshape of one), or nil.
func product(x *graph.Node) *graph.Node {
	if _, ok := x.Op().(*nodes.ReshapeOp); ok {
		x = x.Inputs()[0]
	}
	switch x.Op().(type) {
	case *nodes.MatMulOp, *nodes.BatchMatMulOp:
		if graph.IsFloat(x.DType()) && x.Rank() > 0 {
			return x
		}
	}
	return nil
}

// attachProduct moves a matmul into g when g reads it whole, once, and
// nothing else does: g then becomes the GEMM's epilogue. A reduction tail
// does not fit a GEMM's output pass; a softmax along the rows does.
func (f *fuser) attachProduct(g *group) {
	switch {
	case g.tail.Kind == nodes.TailReduce:
		return
	case g.tail.Kind == nodes.TailSoftmax && g.tail.Axis != len(g.shape)-1:
		return
	}
	for _, x := range f.operands(g) {
		p := product(x)
		if p == nil || f.out[x] || !slices.Equal(x.Shape(), g.shape) || x.DType() != g.result.DType() {
			continue
		}
		if g.tail.Kind == nodes.TailSoftmax && !rowsOf(p, g.shape[len(g.shape)-1]) {
			continue // softmax rows must be the product's rows
		}
		if !f.onlyIn(x, g) || (x != p && !f.singleUse(p)) {
			continue
		}
		g.product = p
		if x != p {
			g.via = x
		}
		return
	}
}

// rowsOf reports whether the product p's rows have length n.
func rowsOf(p *graph.Node, n int) bool {
	b := p.Inputs()[1]
	switch op := p.Op().(type) {
	case *nodes.MatMulOp:
		return b.Rank() == 2 && b.Shape()[1] == n
	case *nodes.BatchMatMulOp:
		k := b.Rank() - 1
		if op.TransB {
			k--
		}
		return b.Shape()[k] == n
	}
	return false
}

// onlyIn reports whether every use of x is by a member of g (or its tail).
func (f *fuser) onlyIn(x *graph.Node, g *group) bool {
	for _, u := range f.users[x] {
		if !g.members[u] && !(u == g.root && g.result == x) {
			return false
		}
	}
	return len(f.users[x]) > 0
}

// operands lists, in a fixed order, the values g reads from outside.
func (f *fuser) operands(g *group) []*graph.Node {
	var xs []*graph.Node
	seen := map[*graph.Node]bool{}
	var walk func(n *graph.Node)
	walk = func(n *graph.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if !g.members[n] && !g.bcast[n] {
			xs = append(xs, n)
			return
		}
		for _, x := range n.Inputs() {
			walk(x)
		}
	}
	walk(g.result)
	return xs
}
