package vmap

import (
	"errors"
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Lower rewrites the program computing outs so that every loop becomes
// batched primitives, by running each loop body once through its ops'
// batching rules (JAX's batching interpreter, as a graph rewrite). Values that
// do not depend on a loop's index stay unbatched: they are hoisted out. A
// nested loop is interchanged with the one being lowered (batching a loop over
// i of a body over j is a loop over j of the body batched over i), so each
// step removes one loop level. An op without a batching rule keeps a loop of
// its own around just that op, marked Residual with the reason.
//
// The rewritten nodes are appended to the same graph; the returned outputs
// replace outs. The caller holds the graph's lock.
func Lower(outs []*graph.Node) ([]*graph.Node, error) {
	if len(outs) == 0 {
		return nil, nil
	}
	g := outs[0].Graph()
	l := &lowerer{g: g, memo: map[*graph.Node]*graph.Node{}}
	for _, n := range graph.Needed(outs) {
		if err := l.top(n); err != nil {
			return nil, err
		}
	}
	res := make([]*graph.Node, len(outs))
	for k, o := range outs {
		res[k] = l.memo[o]
	}
	return res, nil
}

type lowerer struct {
	g    *graph.Graph
	memo map[*graph.Node]*graph.Node // top-level node -> its lowered form
}

// val is a value of a body being batched: a node of the enclosing context
// and the dim carrying the loop axis (-1: the same for every index).
type val struct {
	n  *graph.Node
	bd int
}

func (l *lowerer) top(n *graph.Node) error {
	in := n.Inputs()
	args := make([]*graph.Node, len(in))
	same := true
	for k, x := range in {
		args[k] = l.memo[x]
		same = same && args[k] == x
	}
	var v *graph.Node
	var err error
	switch {
	case isLoop(n):
		l.g.WithSite(n.Site(), func() { v, err = l.loop(n.Op().(*graph.LoopOp), args) })
	case same:
		v = n
	default:
		v = graph.Reapply(n, args)
	}
	if err == nil {
		err = v.Err()
	}
	if err != nil {
		return err
	}
	l.memo[n] = v
	return nil
}

func isLoop(n *graph.Node) bool {
	op, ok := n.Op().(*graph.LoopOp)
	return ok && op.Residual == ""
}

// loop lowers one loop over already-lowered inputs, in the current context,
// to its batched form with the loop axis first.
func (l *lowerer) loop(op *graph.LoopOp, in []*graph.Node) (*graph.Node, error) {
	args := make([]val, len(in))
	for k, x := range in {
		args[k] = val{x, op.InDims[k]}
	}
	r, err := l.batch(op.Body, op.Axis, op.Size, args)
	if err != nil {
		return nil, err
	}
	return nodes.BatchFront(r.n, r.bd, op.Size), nil
}

// batch runs body over axis a with each param bound to a batched value.
func (l *lowerer) batch(body *graph.Body, a *graph.Axis, size int, args []val) (val, error) {
	env := make(map[*graph.Node]val, len(body.Nodes)+len(args))
	for k, p := range body.Params {
		env[p] = args[k]
	}
	for _, n := range body.Nodes {
		in := n.Inputs()
		xs := make([]*graph.Node, len(in))
		bds := make([]int, len(in))
		shared := true
		for k, x := range in {
			xs[k], bds[k] = env[x].n, env[x].bd
			shared = shared && bds[k] < 0
		}
		var v val
		var err error
		l.g.WithSite(n.Site(), func() {
			switch {
			case shared: // hoisted: the same for every index
				v.n, v.bd = graph.Reapply(n, xs), -1
				v.n, err = l.settle(v.n)
			case isLoop(n):
				v, err = l.interchange(n.Op().(*graph.LoopOp), xs, bds, a, size)
			default:
				v.n, v.bd, err = n.Op().Batch(xs, bds)
				if errors.Is(err, graph.ErrNoBatchRule) {
					v, err = l.residual(n, xs, bds, a, err.Error())
				}
			}
		})
		if err == nil && v.n != nil {
			err = v.n.Err()
		}
		if err != nil {
			return val{}, fmt.Errorf("%s: lowering the loop over %s: %s: %w", n.Site(), a.Name(), n.Op().Name(), err)
		}
		env[n] = v
	}
	return env[body.Result], nil
}

// settle lowers a loop just created at top level; inside a trace it stays
// until the enclosing loop is lowered.
func (l *lowerer) settle(n *graph.Node) (*graph.Node, error) {
	if !isLoop(n) || l.g.Tracing() || n.Err() != nil {
		return n, nil
	}
	return l.loop(n.Op().(*graph.LoopOp), n.Inputs())
}

// interchange batches the nested loop inner (over b) over the axis a being
// lowered: the result is a loop over b whose body is inner's body batched
// over a, giving [b, a, ...].
func (l *lowerer) interchange(inner *graph.LoopOp, xs []*graph.Node, bds []int, a *graph.Axis, size int) (val, error) {
	b := inner.Axis
	var err error
	r := l.g.Loop(b, func() *graph.Node {
		args := make([]val, len(xs))
		for k, x := range xs {
			d, bd := inner.InDims[k], bds[k]
			if d < 0 {
				args[k] = val{x, bd}
				continue
			}
			phys := d // where b's dim is in x, past a's batch dim
			if bd >= 0 && bd <= d {
				phys++
			}
			if bd > phys {
				bd--
			}
			args[k] = val{mapAt(x, phys, b), bd}
		}
		var v val
		if v, err = l.batch(inner.Body, a, size, args); err != nil {
			return nil
		}
		return nodes.BatchFront(v.n, v.bd, size)
	})
	if err != nil {
		return val{}, err
	}
	n, err := l.settle(r)
	return val{n, 1}, err
}

// residual keeps a loop over a around one op that has no batching rule.
func (l *lowerer) residual(n *graph.Node, xs []*graph.Node, bds []int, a *graph.Axis, why string) (val, error) {
	r := l.g.Loop(a, func() *graph.Node {
		args := make([]*graph.Node, len(xs))
		for k, x := range xs {
			args[k] = x
			if bds[k] >= 0 {
				args[k] = mapAt(x, bds[k], a)
			}
		}
		return graph.Reapply(n, args)
	})
	if err := r.Err(); err != nil {
		return val{}, err
	}
	r.Op().(*graph.LoopOp).Residual = fmt.Sprintf("%s (%s) has %s", n.Op().Name(), n.Site(), why)
	return val{r, 0}, nil
}

// mapAt is x indexed by axis a on dim d (inside a loop over a), every other
// dim kept.
func mapAt(x *graph.Node, d int, a *graph.Axis) *graph.Node {
	ix := make([]any, x.Rank())
	for p := range ix {
		ix[p] = graph.All
	}
	ix[d] = a
	return x.At(ix...)
}
