package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// relayout chooses where data is permuted, so that as few transposes as
// possible copy memory. Each chain of reshapes and transposes is seen as one
// view of the value under it (see view) and realised the cheapest way:
//
//   - a transpose of a broadcast is a broadcast of the (smaller) transposed
//     operand, which a fused kernel then reads with strides;
//   - a permutation of an elementwise result is the elementwise op of its
//     permuted operands, computed again in the new layout when nothing else
//     uses them (the region under the chain), so that the permutations
//     cancel against the transposes that made the operands;
//   - a permutation of a matrix product's result is a product that writes
//     it directly (batch dims reordered, the operands swapped for a
//     transposed result, rows split into batch dims and rows);
//   - a matrix product reads each operand through any chain of reshapes,
//     transposes and scales that leaves it a strided stack of matrices (batch
//     permutation, trans flag, alpha);
//   - a reduction of a permuted value reduces the value in place and
//     permutes the (smaller) result, if it must;
//   - an elementwise op or a product whose readers (or operands) want
//     another layout is computed in that layout, its readers then reading it
//     through the inverse permutation, which cancels or is absorbed where they
//     read it (relayout in layout_relayout.go).
//
// Costs are the elements copied by the transposes left; a rewrite is made
// only when that falls. Sweeps repeat until nothing changes (a rewrite can
// expose another next to it), then cse merges what became equal.
func relayout(outs []*graph.Node) ([]*graph.Node, error) {
	in, err := cse(outs)
	outs = in
	for k := 0; k < 8 && err == nil; k++ {
		l := &layouter{users: distinctUsers(outs), orig: map[*graph.Node]*graph.Node{}}
		if outs, err = rewrite(outs, l.visit); err == nil {
			outs, err = cse(outs)
		}
		if !l.changed {
			break
		}
	}
	if err == nil && work(outs) > work(in) {
		return in, nil // local choices that did not add up: keep the program as it was
	}
	return outs, err
}

// work estimates what a program costs, in elements moved: every kernel
// writes its result (reshapes are views), and a product's multiply-adds
// count at about the rate a core does them per element it moves.
func work(outs []*graph.Node) int {
	w := 0
	for _, n := range graph.Needed(outs) {
		switch n.Op().(type) {
		case *graph.Input, *graph.Const, *graph.Param, *nodes.ReshapeOp, *nodes.RavelOp:
			continue
		}
		w += n.Type().Size()
		if op, ok := asProduct(n); ok {
			a := n.Inputs()[0]
			k := a.Shape()[a.Rank()-1]
			if op.TransA {
				k = a.Shape()[a.Rank()-2]
			}
			w += n.Type().Size() * k / 8
		}
	}
	return w
}

// distinctUsers lists each node's consumers once each; an output counts as
// a use by nil.
func distinctUsers(outs []*graph.Node) map[*graph.Node][]*graph.Node {
	users := map[*graph.Node][]*graph.Node{}
	for _, n := range graph.Needed(outs) {
		seen := map[*graph.Node]bool{}
		for _, x := range n.Inputs() {
			if !seen[x] {
				seen[x] = true
				users[x] = append(users[x], n)
			}
		}
	}
	for _, o := range outs {
		users[o] = append(users[o], nil)
	}
	return users
}

type layouter struct {
	users   map[*graph.Node][]*graph.Node
	orig    map[*graph.Node]*graph.Node // node rebuilt this sweep -> original
	region  map[*graph.Node]bool        // what the rewrite of the node visited replaces
	changed bool
}

// A recipe realises a view of a value; cost is the elements it copies, and
// redo the values it computes again in another layout.
type recipe struct {
	cost  int
	build func(labels []*graph.Axis) *graph.Node
	redo  []*graph.Node
}

// visit rewrites n when a cheaper layout exists. Use counts are from the
// sweep's start: a node rebuilt on rewritten operands keeps its original's
// users, and nodes made in this sweep have none known, so that nothing
// under them is ever taken to be used only once.
func (l *layouter) visit(n *graph.Node, in []*graph.Node) *graph.Node {
	cur := rebuild(n, in)
	if cur != n {
		l.users[cur], l.orig[cur] = l.users[n], n
	}
	l.grow(n, cur)
	var r *graph.Node
	switch op := cur.Op().(type) {
	case *nodes.TransposeOp, *nodes.ReshapeOp, *nodes.RavelOp:
		r = l.chain(cur)
	case *nodes.Reduce:
		r = l.reduce(cur, op)
	default:
		if mm, ok := asProduct(cur); ok {
			if r = l.matmul(cur, mm); r == nil {
				r = l.relayout(cur)
			}
		} else if elementwise(cur) {
			r = l.relayout(cur)
		}
	}
	if r != nil {
		l.changed = true
		return r
	}
	return cur
}

// maxRegion bounds the values one rewrite may recompute.
const maxRegion = 64

// grow sets the region a rewrite of n (rebuilt as cur) may recompute: n,
// and the layout and elementwise ops under it all of whose uses are in the
// region (computed only for it).
func (l *layouter) grow(n, cur *graph.Node) {
	l.region = map[*graph.Node]bool{n: true, cur: true}
	work := append([]*graph.Node{}, cur.Inputs()...)
	for len(work) > 0 && len(l.region) < maxRegion {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		if l.region[x] || !(isLayout(x) || elementwise(x)) || !l.within(x) {
			continue
		}
		l.region[x] = true
		work = append(work, x.Inputs()...)
	}
}

// within reports whether every use of x is in the region.
func (l *layouter) within(x *graph.Node) bool {
	us := l.users[x]
	for _, u := range us {
		if u == nil || !l.region[u] {
			return false
		}
	}
	return len(us) > 0
}

// only reports whether x has one use (the op above it, which a recipe is
// rebuilding): x may then be recomputed in another layout.
func (l *layouter) only(x *graph.Node) bool { return len(l.users[x]) == 1 }

// regionCost is what the region's transposes cost now, n's own aside.
func (l *layouter) regionCost(n *graph.Node) int {
	cost := 0
	for x := range l.region {
		if isTranspose(x) && x != n && l.orig[n] != x {
			cost += x.Type().Size()
		}
	}
	return cost
}

// chainCost is what the chain of layout ops from x down costs now: the
// transposes only it uses, and an exclusive broadcast under it (which no
// fused kernel can read through the chain, so it is written out).
func (l *layouter) chainCost(x *graph.Node) int {
	cost := 0
	for excl := true; ; {
		if !isLayout(x) {
			if _, ok := x.Op().(*nodes.BroadcastOp); ok && excl {
				cost += x.Type().Size()
			}
			return cost
		}
		if _, ok := x.Op().(*nodes.TransposeOp); ok && excl {
			cost += x.Type().Size()
		}
		x = x.Inputs()[0]
		excl = excl && l.only(x)
	}
}

// chain realises the chain of layout ops ending at n: by the cheapest
// recipe for its view of the value under it, or by computing the region
// under it again in the layout it is read in.
func (l *layouter) chain(n *graph.Node) *graph.Node {
	v := newView(n.Shape())
	if v == nil {
		return nil
	}
	free := isTranspose(n) && l.readInPlace(n) // its readers absorb n itself
	var best *recipe
	gain := 0
	if cur := l.chainCost(n); cur > 0 {
		if free {
			cur -= n.Type().Size()
		}
		if p := l.best(v, n, true); cur-p.cost > gain {
			best, gain = &p, cur-p.cost
		}
	}
	if p, ok := l.regionRecipe(n, v); ok {
		cur := l.regionCost(n)
		if isTranspose(n) && !free {
			cur += n.Type().Size()
		}
		if cur-p.cost > gain {
			best, gain = &p, cur-p.cost
		}
	}
	if best == nil {
		return nil
	}
	return best.build(n.Type().Labels)
}

func isTranspose(x *graph.Node) bool {
	_, ok := x.Op().(*nodes.TransposeOp)
	return ok
}

// readInPlace reports whether every use of x is a matrix product, or a
// reshape read only by them: products absorb the layout themselves.
func (l *layouter) readInPlace(x *graph.Node) bool {
	for _, u := range l.users[x] {
		switch {
		case u == nil:
			return false
		case isLayout(u):
			if !l.readInPlace(u) {
				return false
			}
		default:
			if _, ok := asProduct(u); !ok {
				return false
			}
		}
	}
	return true
}

// best is the cheapest recipe for v applied to x. excl says whether the chain
// above x is x's only use, so that x may be recomputed in another layout.
func (l *layouter) best(v *view, x *graph.Node, excl bool) recipe {
	for isLayout(x) {
		w := v.through(x)
		if w == nil {
			break
		}
		v, x = w, x.Inputs()[0]
		excl = excl && l.only(x)
	}
	p := recipe{build: func(labels []*graph.Axis) *graph.Node { return v.build(x, labels) }}
	if v.permutes() {
		p.cost = v.elems()
	}
	switch op := x.Op().(type) {
	case *nodes.BroadcastOp:
		if b, ok := l.broadcast(v, x.Inputs()[0], op.Dims, excl && l.only(x.Inputs()[0])); ok && b.cost <= p.cost {
			p = b
		}
	default:
		if mm, ok := asProduct(x); ok && excl && v.permutes() {
			if b, ok := l.product(v, x, mm); ok && b.cost < p.cost {
				p = b
			}
		} else if excl && v.permutes() && elementwise(x) {
			if e, ok := l.elementwise(v, x); ok && e.cost < p.cost {
				p = e
			}
		}
	}
	return p
}

// broadcast plans v applied to Broadcast(y) along dims: a broadcast of y
// viewed, when no result dim mixes repeated and real elements.
func (l *layouter) broadcast(v *view, y *graph.Node, dims []int, excl bool) (recipe, bool) {
	real := map[int]bool{}
	w := v.clone()
	w.in, w.inShape = make([][]int, len(dims)), y.Shape()
	for k, d := range dims {
		w.in[k] = v.in[d]
		for _, id := range v.in[d] {
			real[id] = true
		}
	}
	w.out, w.outShape = nil, nil
	var at []int // result dims y's view fills
	for j, g := range v.out {
		n := 0
		for _, id := range g {
			if real[id] {
				n++
			}
		}
		switch {
		case n == 0: // repeated (or size 1)
		case n == len(g):
			at = append(at, j)
			w.out = append(w.out, g)
			w.outShape = append(w.outShape, v.outShape[j])
		default:
			return recipe{}, false
		}
	}
	child := l.best(w, y, excl)
	shape := v.outShape
	return recipe{cost: child.cost, redo: child.redo, build: func(labels []*graph.Axis) *graph.Node {
		r := child.build(nil)
		if len(at) == len(shape) {
			return reshapeTo(r, shape, labels)
		}
		return graph.Apply(&nodes.BroadcastOp{Shape: shape, Dims: at}, r)
	}}, true
}

// elementwise reports an op that computes each element from the same
// element of its operands (or a repeated rank-0 one).
func elementwise(x *graph.Node) bool {
	if x.Rank() == 0 {
		return false
	}
	switch x.Op().(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.WhereOp, *nodes.CastOp:
		return true
	}
	return false
}

// elementwise plans v applied to the elementwise op x: the op applied to
// its operands viewed alike. A shorter operand of a trailing-broadcast
// binary op is a broadcast along the trailing dims.
func (l *layouter) elementwise(v *view, x *graph.Node) (recipe, bool) {
	ins := x.Inputs()
	plans := map[*graph.Node]recipe{}
	cost := 0
	redo := []*graph.Node{x}
	for _, a := range ins {
		if _, ok := plans[a]; ok || a.Rank() == 0 {
			continue
		}
		var p recipe
		if a.Rank() == x.Rank() {
			p = l.best(v, a, l.only(a))
		} else {
			dims := make([]int, a.Rank())
			for k := range dims {
				dims[k] = x.Rank() - a.Rank() + k
			}
			var ok bool
			if p, ok = l.broadcast(v, a, dims, l.only(a)); !ok {
				return recipe{}, false
			}
		}
		plans[a] = p
		cost += p.cost
		redo = append(redo, p.redo...)
	}
	op := x.Op()
	if b, ok := op.(*nodes.Binary); ok && b.Bcast {
		op = &nodes.Binary{Kind: b.Kind}
	}
	return recipe{cost: cost, redo: redo, build: func(labels []*graph.Axis) *graph.Node {
		args := make([]*graph.Node, len(ins))
		built := map[*graph.Node]*graph.Node{}
		for k, a := range ins {
			p, ok := plans[a]
			switch {
			case !ok:
				args[k] = a
			case built[a] != nil:
				args[k] = built[a]
			default:
				built[a] = p.build(nil)
				args[k] = built[a]
			}
		}
		return graph.Apply(op, args...)
	}}, true
}

// reduce reduces a permuted operand in place: the reduction runs over the
// source's own dims, and only the kept (smaller) result is permuted, if its
// dims still come out of order. A chain others read too is bypassed when no
// permutation is left: the transpose may then have no reader left either.
func (l *layouter) reduce(n *graph.Node, op *nodes.Reduce) *graph.Node {
	x := n.Inputs()[0]
	v := newView(x.Shape())
	if v == nil || !isLayout(x) {
		return nil
	}
	cur := 0 // what reading the source saves: the chain's transposes, if only n reads them
	if l.only(x) {
		cur = l.chainCost(x)
	}
	s := x
	for isLayout(s) {
		w := v.through(s)
		if w == nil {
			return nil
		}
		v, s = w, s.Inputs()[0]
	}
	if !v.permutes() {
		return nil
	}
	axes := op.Axes
	if axes == nil {
		return graph.Apply(&nodes.Reduce{Kind: op.Kind}, s)
	}
	gone := map[int]bool{}
	for _, a := range axes {
		for _, id := range v.out[a] {
			gone[id] = true
		}
	}
	src := flat(v.in)
	sizes := make([]int, len(src))
	var at []int
	rest := &view{size: v.size, outShape: n.Shape()}
	for k, id := range src {
		sizes[k] = v.size[id]
		if gone[id] {
			at = append(at, k)
		} else {
			rest.in = append(rest.in, []int{id})
			rest.inShape = append(rest.inShape, v.size[id])
		}
	}
	if len(at) == 0 {
		return nil
	}
	for d, g := range v.out {
		if !slices.Contains(axes, d) {
			rest.out = append(rest.out, g)
		}
	}
	if rest.permutes() && rest.elems() >= cur {
		return nil // a shared chain is written anyway: reading the source saves only when in order
	}
	r := graph.Apply(&nodes.Reduce{Kind: op.Kind, Axes: at}, reshapeTo(s, sizes, nil))
	return rest.build(r, n.Type().Labels)
}
