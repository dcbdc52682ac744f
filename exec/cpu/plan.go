package cpu

import (
	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Memory planning (exec/memplan), done once when a program is compiled,
// with what this backend's kernels allow: which write any buffer they are
// handed (slotted) and which may write over an operand (overwrites).

// Plan is a program's buffer assignment (exec/memplan) over its nodes.
type Plan struct {
	*memplan.Plan
	order, outs []*graph.Node
	at          map[*graph.Node]int
}

// slotted reports ops whose kernels write the buffer they are handed
// (reuse), so an arena slot saves them an allocation.
func slotted(op graph.Op) bool {
	switch op.(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.SoftmaxOp, *nodes.FusedOp, *nodes.FusedMatMulOp,
		*nodes.MatMulOp, *nodes.BatchMatMulOp, *nodes.TransposeOp:
		return true
	}
	return false
}

// overwrites reports ops whose kernels may write their result over an
// operand of the same size: each output element is computed from the same
// element of that operand (and anything else) before it is written.
func overwrites(n *graph.Node) bool {
	switch op := n.Op().(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.SoftmaxOp:
		return true
	case *nodes.FusedOp:
		return op.Tail.Kind != nodes.TailReduce
	}
	return false
}

func isView(op graph.Op) bool {
	switch op.(type) {
	case *nodes.ReshapeOp, *nodes.RavelOp:
		return true
	}
	return false
}

func bytesOf(n *graph.Node) int64 {
	t := n.Type()
	return int64(t.Size()) * int64(t.DType.Size())
}

// NewPlan plans order (topological) computing outs.
func NewPlan(order, outs []*graph.Node) *Plan {
	p := &Plan{order: order, outs: outs, at: make(map[*graph.Node]int, len(order))}
	vals := make([]memplan.Value, len(order))
	for i, n := range order {
		p.at[n] = i
		v := memplan.Value{Bytes: bytesOf(n), DType: n.DType(), Slotted: slotted(n.Op()), Overwrites: overwrites(n)}
		switch {
		case isInput(n.Op()):
			v.Kind = memplan.Fed
		case isView(n.Op()):
			v.Kind = memplan.View
		}
		for _, x := range n.Inputs() {
			v.Reads = append(v.Reads, p.at[x])
		}
		vals[i] = v
	}
	ix := make([]int, len(outs))
	for k, o := range outs {
		ix[k] = p.at[o]
	}
	p.Plan = memplan.New(vals, ix)
	return p
}

func isInput(op graph.Op) bool {
	switch op.(type) {
	case *graph.Input, *graph.Const, *graph.Param:
		return true
	}
	return false
}
