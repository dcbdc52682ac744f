package autodiff

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Grad returns d loss / d w for each w in wrt, as more graph: the optimizer
// then fuses and lowers forward and backward together. loss must be a float
// scalar. Inside a loop body being traced, loss may vary with the loop and
// the result is the per-example gradient (vmap of grad); wrt are then values
// of that body or shared values from outside it.
//
// Errors are build errors on the graph (g.Err, exec.Compile), at the caller's
// line; the returned nodes are then poisoned.
func Grad(loss *graph.Node, wrt ...*graph.Node) []*graph.Node {
	out := make([]*graph.Node, len(wrt))
	g := loss.Graph()
	if g == nil {
		return out
	}
	fail := func(format string, args ...any) []*graph.Node {
		bad := g.Fail("Grad", format, args...)
		for k := range out {
			out[k] = bad
		}
		return out
	}
	if loss.Err() != nil {
		for k := range out {
			out[k] = loss
		}
		return out
	}
	if !graph.IsFloat(loss.DType()) {
		return fail("loss has dtype %s; gradients need a float32 or float64 scalar", loss.DType())
	}
	if loss.Rank() != 0 {
		return fail("loss must be a scalar, got %s: reduce it first (nodes.Sum, nodes.Mean)", loss.Type().Dims())
	}
	targets := make([]*graph.Node, len(wrt))
	for k, w := range wrt {
		switch {
		case w == nil:
			return fail("wrt %d is nil", k)
		case w.Graph() != g:
			return fail("wrt %d belongs to another graph", k)
		case w.Err() != nil:
			return fail("wrt %d is broken: %v", k, w.Err())
		case !graph.IsFloat(w.DType()):
			return fail("wrt %d %s has dtype %s; only float values have gradients", k, w.Type().Dims(), w.DType())
		}
		targets[k] = graph.Shared(w)
		if err := targets[k].Err(); err != nil {
			return fail("wrt %d: %v", k, err)
		}
	}
	ct, err := backprop(loss, g.Scalar(1, loss.DType()), targets)
	if err != nil {
		return fail("%v", err)
	}
	for k, w := range targets {
		out[k] = ct[w]
		if out[k] == nil {
			out[k] = zerosLike(w)
		}
	}
	return out
}

// backprop seeds res with the cotangent seed and walks the nodes res depends
// on backwards, calling each op's VJP, until the targets' cotangents are
// complete. Only values on a path from a target to res are visited, so data
// inputs never get gradients built for them.
func backprop(res, seed *graph.Node, targets []*graph.Node) (map[*graph.Node]*graph.Node, error) {
	order := ancestors(res)
	dep := map[*graph.Node]bool{}
	for _, t := range targets {
		dep[t] = true
	}
	for _, n := range order {
		for _, x := range n.Inputs() {
			if dep[x] {
				dep[n] = true
			}
		}
	}
	ct := map[*graph.Node]*graph.Node{}
	if !dep[res] {
		return ct, nil
	}
	ct[res] = seed
	for k := len(order) - 1; k >= 0; k-- {
		n := order[k]
		c := ct[n]
		in := n.Inputs()
		if c == nil || !dep[n] || len(in) == 0 {
			continue
		}
		var grads []*graph.Node
		var err error
		n.Graph().WithSite(n.Site(), func() { grads, err = vjp(n, c, dep) })
		if err != nil {
			return nil, err
		}
		for j, x := range in {
			if !dep[x] || j >= len(grads) || grads[j] == nil {
				continue
			}
			gj := grads[j]
			if e := gj.Err(); e != nil {
				return nil, fmt.Errorf("gradient of %s at %s: %v", n.Op().Name(), n.Site(), e)
			}
			if gj.DType() != x.DType() || !slices.Equal(gj.Shape(), x.Shape()) {
				return nil, fmt.Errorf("gradient of %s at %s: the rule gave %s %s for input %d %s %s (a bug in the op's VJP)",
					n.Op().Name(), n.Site(), graph.DTypeName(gj.DType()), gj.Type().Dims(), j, graph.DTypeName(x.DType()), x.Type().Dims())
			}
			if prev := ct[x]; prev != nil {
				n.Graph().WithSite(n.Site(), func() { gj = nodes.Add(prev, gj) })
			}
			ct[x] = gj
		}
	}
	return ct, nil
}

// vjp calls n's rule; loops get theirs here, since a loop's gradient is a
// loop over its body's gradient, built with the ops of nodes.
func vjp(n, ct *graph.Node, dep map[*graph.Node]bool) ([]*graph.Node, error) {
	if op, ok := n.Op().(*graph.LoopOp); ok {
		return loopVJP(n, op, ct, dep)
	}
	grads, err := n.Op().VJP(n.Inputs(), n, ct)
	if err == nil {
		return grads, nil
	}
	which := ""
	for k, x := range n.Inputs() {
		if dep[x] {
			which = fmt.Sprintf(" (needed for its input %d %s)", k, x.Type().Dims())
			break
		}
	}
	if errors.Is(err, graph.ErrNoGradient) {
		return nil, fmt.Errorf("%s at %s has no gradient%s: %v", n.Op().Name(), n.Site(), which, err)
	}
	return nil, fmt.Errorf("gradient of %s at %s%s: %v", n.Op().Name(), n.Site(), which, err)
}

// ancestors returns res and every value it depends on (within its scope), in
// creation order, which is topological.
func ancestors(res *graph.Node) []*graph.Node {
	seen := map[*graph.Node]bool{}
	var order []*graph.Node
	stack := []*graph.Node{res}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		order = append(order, n)
		stack = append(stack, n.Inputs()...)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].ID() < order[j].ID() })
	return order
}

func zerosLike(x *graph.Node) *graph.Node {
	return x.Graph().Const(dense.Zeros(x.DType(), x.Shape()))
}
