package vmap

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Loop is a loop nest over one or more axes, waiting for its body.
type Loop struct {
	axes   []*graph.Axis
	layout []any
}

// For loops over axes, outermost first: For(i, j) is For(i) around For(j).
func For(axes ...*graph.Axis) Loop { return Loop{axes: append([]*graph.Axis(nil), axes...)} }

// Into places the result's dims: each *graph.Axis is one of the loop's axes,
// each graph.All the body result's next visible dim (DumPy's Z[:, i] = ...).
// Every loop axis appears once and there is one All per body dim.
func (l Loop) Into(layout ...any) Loop {
	l.layout = append([]any(nil), layout...)
	return l
}

// Do traces body once as the code for one index of every loop axis and
// returns the loop's result.
func (l Loop) Do(body func() *graph.Node) *graph.Node {
	g := l.graph()
	if g == nil {
		r := body()
		if r == nil {
			return nil
		}
		return r.Graph().Fail("vmap", "For needs at least one non-nil axis")
	}
	var nest func(k int) *graph.Node
	nest = func(k int) *graph.Node {
		if k == len(l.axes) {
			return body()
		}
		return g.Loop(l.axes[k], func() *graph.Node { return nest(k + 1) })
	}
	r := nest(0)
	if l.layout == nil || r.Err() != nil {
		return r
	}
	perm, err := l.perm(r.Rank() - len(l.axes))
	if err != nil {
		return g.Fail("vmap", "Into%s: %v", describe(l.layout), err)
	}
	return nodes.Transpose(r, perm...)
}

func (l Loop) graph() *graph.Graph {
	for _, a := range l.axes {
		if a != nil {
			return a.Graph()
		}
	}
	return nil
}
