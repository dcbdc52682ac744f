package graph

import (
	"fmt"

	"github.com/loomtensor/loom/internal/dense"
	"gorgonia.org/tensor"
)

// Axis is a named loop axis. Two axes are the same only if they are the same
// object; the name is for people.
type Axis struct {
	g      *Graph
	name   string
	size   int
	site   string
	active *scope // the loop over this axis being traced, if any
	depth  int    // nesting depth of its latest loop, to order Mapped
	iota   *Node  // 0..size-1 as int64, built on first Value()
}

// Axis declares a loop axis. Size 0 means "take the size from the first At".
func (g *Graph) Axis(name string, size int) *Axis {
	a := &Axis{g: g, name: name, size: size, site: callSite()}
	if size < 0 {
		g.fail(a.site, "Axis", "axis %q: negative size %d", name, size)
		a.size = 0
	}
	g.axes = append(g.axes, a)
	return a
}

// Name is the axis's name.
func (a *Axis) Name() string {
	if a == nil {
		return "<nil axis>"
	}
	return a.name
}

// Size is the axis's length (0 until fixed by its first use).
func (a *Axis) Size() int {
	if a == nil {
		return 0
	}
	return a.size
}

func (a *Axis) String() string { return fmt.Sprintf("%s=%d", a.name, a.size) }

// Value is the loop index as an int64 scalar mapped over a (DumPy's i as a
// value). It is legal only inside a loop over a whose size is known.
func (a *Axis) Value() *Node {
	if a == nil {
		return (*Graph)(nil).fail(callSite(), "Value", "nil axis")
	}
	g := a.g
	site := g.here()
	if a.active == nil {
		return g.fail(site, "Value", "axis %s is not looped over here: call %s.Value() inside vmap.For(%s).Do", a.name, a.name, a.name)
	}
	if a.size == 0 {
		return g.fail(site, "Value", "axis %s has no size yet: give it one in g.Axis or index with it first", a.name)
	}
	if a.iota == nil {
		v := make([]int64, a.size)
		for k := range v {
			v[k] = int64(k)
		}
		a.iota = g.newTop(&Const{Value: dense.FromI64([]int{a.size}, v)}, nil, Of(tensor.Int64, []int{a.size}, a), site)
	}
	v, err := g.capture(a.iota, a.active, 0)
	if err != nil {
		return g.fail(site, "Value", "%v", err)
	}
	return g.thread(v, g.current())
}

// fixSize sets a size-0 axis from its first use or checks the size matches.
func (a *Axis) fixSize(n int, what string) error {
	if a.size == 0 {
		a.size = n
		return nil
	}
	if a.size != n {
		return fmt.Errorf("axis %s has size %d but %s has size %d", a.name, a.size, what, n)
	}
	return nil
}

// Graph returns the graph the axis belongs to.
func (a *Axis) Graph() *Graph {
	if a == nil {
		return nil
	}
	return a.g
}
