package optimize

import (
	"fmt"
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// A reader is one way a value is read: through a path of layout ops (the
// nearest first) by a consumer (nil: the path's end is a program output).
type reader struct {
	path []*graph.Node
	use  *graph.Node
	end  *graph.Node // the value use reads: the path's last, or the producer
}

// Limits that keep relayout's search small on wide programs.
const (
	maxReaders    = 24
	maxCandidates = 16
)

// readers lists how n is read, or false when there are too many paths.
func (l *layouter) readers(n *graph.Node) ([]reader, bool) {
	var out []reader
	var walk func(x *graph.Node, path []*graph.Node) bool
	walk = func(x *graph.Node, path []*graph.Node) bool {
		for _, u := range l.users[x] {
			if len(out) >= maxReaders {
				return false
			}
			if u != nil && isLayout(u) {
				if !walk(u, append(path[:len(path):len(path)], u)) {
					return false
				}
				continue
			}
			end := x
			if o, ok := l.orig[x]; ok {
				end = o // users read the node this sweep rebuilt
			}
			out = append(out, reader{path, u, end})
		}
		return true
	}
	return out, walk(n, nil)
}

// along is v followed by the layout ops of path, or nil when they do not
// compose.
func along(v *view, path []*graph.Node) *view {
	for _, x := range path {
		if v == nil {
			return nil
		}
		switch op := x.Op().(type) {
		case *nodes.TransposeOp:
			v = v.transpose(op.Perm)
		default:
			v = v.reshape(x.Shape())
		}
	}
	return v
}

// inverse is the view undoing v.
func (v *view) inverse() *view {
	w := v.clone()
	w.in, w.out = w.out, w.in
	w.inShape, w.outShape = w.outShape, w.inShape
	return w
}

// key identifies what a view reads, for counting identical copies once.
func (v *view) key() string {
	return fmt.Sprint(v.in, v.out, v.outShape)
}

// readCost is what the readers cost when each reads v (a view of the value
// they read) followed by its path: a product reading its operand in place
// costs nothing, any other reader of a permuted view a copy (one copy per
// distinct view). ok is false when some path does not compose.
func readCost(v *view, rs []reader) (int, bool) {
	cost := 0
	seen := map[string]bool{}
	for _, r := range rs {
		w := along(v, r.path)
		if w == nil {
			return 0, false
		}
		if !w.permutes() {
			continue
		}
		if r.use != nil && readsInPlace(w, r) {
			continue
		}
		if k := w.key(); !seen[k] {
			seen[k] = true
			cost += w.elems()
		}
	}
	return cost, true
}

// readsInPlace reports whether the reader is a product that reads w's
// result (its operand, on every side it is one) with strides.
func readsInPlace(w *view, r reader) bool {
	op, ok := asProduct(r.use)
	if !ok {
		return false
	}
	perms, trans := [2][]int{op.PermA, op.PermB}, [2]bool{op.TransA, op.TransB}
	rank := len(w.outShape)
	if rank < 2 {
		return false
	}
	for k, in := range r.use.Inputs() {
		if in != r.end {
			continue
		}
		lv := w
		if perms[k] != nil {
			lv = lv.transpose(append(append([]int{}, perms[k]...), rank-2, rank-1))
		}
		if trans[k] {
			p := identity(rank)
			p[rank-2], p[rank-1] = rank-1, rank-2
			lv = lv.transpose(p)
		}
		if _, _, _, ok := lv.operand(); !ok {
			return false
		}
	}
	return true
}

// relayout computes the elementwise op or product n in another layout when
// that saves copies: the layout one of its readers reads it in (or, for an
// elementwise op, one an operand arrives in), n's readers then reading the
// new value through the inverse permutation, which cancels or is absorbed
// where they read it. It is how a chain of elementwise ops between two
// permutations (a loop's backward pass in the batch order of its forward)
// runs in the order its neighbours want.
func (l *layouter) relayout(n *graph.Node) *graph.Node {
	v := newView(n.Shape())
	if v == nil {
		return nil
	}
	rs, ok := l.readers(n)
	if !ok {
		return nil
	}
	cur, ok := readCost(v, rs)
	if !ok {
		return nil
	}
	cur += l.regionCost(n)
	// Candidates: each reader's view of n, after its whole path and after
	// each op of it (a product may write a permuted value only before the
	// reshape that merges its dims).
	var cands []*view
	for _, r := range rs {
		for k := len(r.path); k > 0; k-- {
			if w := along(v, r.path[:k]); w != nil && w.permutes() {
				cands = append(cands, w)
			}
		}
	}
	if elementwise(n) {
		for _, a := range n.Inputs() {
			if w := l.arrival(a, n.Shape()); w != nil {
				cands = append(cands, w.inverse())
			}
		}
	}
	var best *recipe
	var bestP *view
	seen := map[string]bool{}
	for k, p := range cands {
		if k == maxCandidates {
			break
		}
		if seen[p.key()] {
			continue
		}
		seen[p.key()] = true
		back, ok := readCost(p.inverse(), rs)
		if !ok || back >= cur {
			continue
		}
		var rc recipe
		if mm, isMM := asProduct(n); isMM {
			rc, ok = l.product(p, n, mm)
		} else {
			rc, ok = l.regionRecipe(n, p)
		}
		if !ok || rc.cost+back >= cur {
			continue
		}
		cur, best, bestP = rc.cost+back, &rc, p
	}
	if best == nil {
		return nil
	}
	return bestP.inverse().build(best.build(nil), n.Type().Labels)
}

// arrival is the permuting view through which a (an operand of shape)
// arrives from the value under its layout chain, or nil.
func (l *layouter) arrival(a *graph.Node, shape []int) *view {
	if !isLayout(a) || !slices.Equal(a.Shape(), shape) {
		return nil
	}
	v := newView(shape)
	if v == nil {
		return nil
	}
	for isLayout(a) {
		if v = v.through(a); v == nil {
			return nil
		}
		a = a.Inputs()[0]
	}
	if !v.permutes() {
		return nil
	}
	return v
}
