package graph

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Node is one lazy value: an Op applied to earlier nodes. A node built from a
// broken one is poisoned: it carries the first error and an empty type, and
// every method stays safe to call.
type Node struct {
	g     *Graph
	id    int
	op    Op
	in    []*Node
	typ   Type
	scope *scope // loop body the node belongs to; nil at top level
	site  string
	err   error
}

// Shape returns the visible dims (a copy).
func (x *Node) Shape() []int {
	if x == nil {
		return nil
	}
	return append([]int{}, x.typ.Shape...)
}

// Dim returns visible dim k; an out-of-range k is a build error and gives 0.
func (x *Node) Dim(k int) int {
	if x == nil || x.err != nil {
		return 0
	}
	if k < 0 || k >= len(x.typ.Shape) {
		x.g.fail(callSite(), "Dim", "dim %d of a rank-%d value %s", k, len(x.typ.Shape), x.typ.Dims())
		return 0
	}
	return x.typ.Shape[k]
}

// Rank is the number of visible dims.
func (x *Node) Rank() int {
	if x == nil {
		return 0
	}
	return len(x.typ.Shape)
}

// DType is the element type.
func (x *Node) DType() tensor.Dtype {
	if x == nil {
		return tensor.Dtype{}
	}
	return x.typ.DType
}

// Mapped returns the loop axes the value varies over, outermost first.
func (x *Node) Mapped() []*Axis {
	if x == nil {
		return nil
	}
	return append([]*Axis(nil), x.typ.Mapped...)
}

// Graph returns the graph the node belongs to.
func (x *Node) Graph() *Graph {
	if x == nil {
		return nil
	}
	return x.g
}

// Type returns the node's full type.
func (x *Node) Type() Type {
	if x == nil {
		return Type{}
	}
	t := x.typ
	t.Shape = append([]int{}, t.Shape...)
	return t
}

// Op returns the operation that produces the node (nil if poisoned).
func (x *Node) Op() Op { return x.op }

// Inputs returns the node's operands.
func (x *Node) Inputs() []*Node { return append([]*Node(nil), x.in...) }

// Err returns the error that poisoned the node, or nil.
func (x *Node) Err() error {
	if x == nil {
		return fmt.Errorf("nil node")
	}
	return x.err
}

// Site is the user's file:line where the node was built.
func (x *Node) Site() string { return x.site }

// ID is the node's number in its graph, as printing shows it (%ID).
func (x *Node) ID() int { return x.id }

// InLoop reports whether the node belongs to a loop body.
func (x *Node) InLoop() bool { return x.scope != nil }

func (x *Node) String() string {
	if x == nil {
		return "<nil>"
	}
	if x.err != nil {
		return "<poisoned: " + x.err.Error() + ">"
	}
	return fmt.Sprintf("%%%d:%s", x.id, x.typ)
}
