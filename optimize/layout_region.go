package optimize

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// A read is one value a region reads from outside, and how.
type read struct {
	x    *graph.Node
	v    *view
	dims []int // set: x is the shorter operand of a trailing broadcast, along these dims
}

// regionRecipe computes root's region (see grow) again so that root comes
// out as v of its old value: every elementwise value of the region in one
// new layout, the region's reshapes and transposes composed away, and each
// value read from outside realised the cheapest way. It fails when some
// region value would be needed in two layouts (it is then computed once, in
// place, by the caller's other recipes).
func (l *layouter) regionRecipe(root *graph.Node, v *view) (recipe, bool) {
	key := map[*graph.Node]string{} // region value -> the view it is computed in
	var reads []read
	var walk func(x *graph.Node, v *view) bool
	walk = func(x *graph.Node, v *view) bool {
		for x != root && isLayout(x) && l.region[x] || x == root && isLayout(x) {
			if v = v.through(x); v == nil {
				return false
			}
			x = x.Inputs()[0]
		}
		if x != root && !(l.region[x] && elementwise(x)) {
			reads = append(reads, read{x: x, v: v})
			return true
		}
		k := v.key()
		if prev, ok := key[x]; ok {
			return prev == k
		}
		key[x] = k
		for _, a := range x.Inputs() {
			switch {
			case a.Rank() == 0:
			case a.Rank() < x.Rank():
				dims := make([]int, a.Rank())
				for j := range dims {
					dims[j] = x.Rank() - a.Rank() + j
				}
				reads = append(reads, read{x: a, v: v, dims: dims})
			default:
				if !walk(a, v) {
					return false
				}
			}
		}
		return true
	}
	if !walk(root, v) {
		return recipe{}, false
	}
	if isLayout(root) && len(key) == 0 {
		return recipe{}, false // no elementwise value to move: best covers it
	}
	// Each outside value, in each distinct view, is realised once; a value
	// read in one view only, and only by the region, may itself be
	// recomputed for it.
	views := map[*graph.Node]map[string]bool{}
	for _, r := range reads {
		if views[r.x] == nil {
			views[r.x] = map[string]bool{}
		}
		views[r.x][r.v.key()] = true
	}
	plans := map[string]recipe{}
	cost := 0
	for _, r := range reads {
		k := readKey(r)
		if _, ok := plans[k]; ok {
			continue
		}
		excl := len(views[r.x]) == 1 && l.within(r.x)
		var p recipe
		if r.dims != nil {
			var ok bool
			if p, ok = l.broadcast(r.v, r.x, r.dims, excl && l.only(r.x)); !ok {
				return recipe{}, false
			}
		} else {
			p = l.best(r.v, r.x, excl)
		}
		plans[k] = p
		cost += p.cost
	}
	return recipe{cost: cost, build: func([]*graph.Axis) *graph.Node {
		built := map[string]*graph.Node{}
		var mk func(x *graph.Node, v *view) *graph.Node
		mk = func(x *graph.Node, v *view) *graph.Node {
			for x != root && isLayout(x) && l.region[x] || x == root && isLayout(x) {
				v, x = v.through(x), x.Inputs()[0]
			}
			if x != root && !(l.region[x] && elementwise(x)) {
				k := readKey(read{x: x, v: v})
				if built[k] == nil {
					built[k] = plans[k].build(nil)
				}
				return built[k]
			}
			k := v.key() + " " + nodeKey(x)
			if built[k] != nil {
				return built[k]
			}
			ins := x.Inputs()
			args := make([]*graph.Node, len(ins))
			for j, a := range ins {
				switch {
				case a.Rank() == 0:
					args[j] = a
				case a.Rank() < x.Rank():
					dims := make([]int, a.Rank())
					for i := range dims {
						dims[i] = x.Rank() - a.Rank() + i
					}
					rk := readKey(read{x: a, v: v, dims: dims})
					if built[rk] == nil {
						built[rk] = plans[rk].build(nil)
					}
					args[j] = built[rk]
				default:
					args[j] = mk(a, v)
				}
			}
			op := x.Op()
			if b, ok := op.(*nodes.Binary); ok && b.Bcast {
				op = &nodes.Binary{Kind: b.Kind}
			}
			built[k] = graph.Apply(op, args...)
			return built[k]
		}
		return mk(root, v)
	}}, true
}

func readKey(r read) string {
	k := nodeKey(r.x) + " " + r.v.key()
	if r.dims != nil {
		k += " bcast"
	}
	return k
}

func nodeKey(x *graph.Node) string { return fmt.Sprintf("%p", x) }
