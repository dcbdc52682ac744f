package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
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
	donated     map[*graph.Node]bool // inputs the plan may write over
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
// element of that operand (and anything else) before it is written. over,
// when not nil, lists the operands they may write over: a fused kernel's
// operands read in place (a permuted one is gathered from everywhere), and
// a fused GEMM's epilogue operands that are donated feeds (its product
// then goes to a scratch buffer: worth it only to leave the output in the
// caller's memory).
func overwrites(n *graph.Node, donated map[*graph.Node]bool) (ok bool, over []int) {
	switch op := n.Op().(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.SoftmaxOp:
		return true, nil
	case *nodes.FusedOp:
		if op.Tail.Kind == nodes.TailReduce {
			return false, nil
		}
		over = []int{}
		for k, in := range op.Inputs {
			if in.Full(op.Shape) {
				over = append(over, k)
			}
		}
		return true, over
	case *nodes.FusedMatMulOp:
		if op.Epi.Tail.Kind != nodes.TailNone {
			return false, nil
		}
		over = []int{}
		for k, x := range n.Inputs() {
			if k >= 2 && donated[x] && op.Epi.Inputs[k-1].Full(op.Epi.Shape) {
				over = append(over, k)
			}
		}
		return len(over) > 0, over
	}
	return false, nil
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

// NewPlan plans order (topological) computing outs; the donated inputs'
// buffers may be taken over (see Compiled.RunDonated).
func NewPlan(order, outs []*graph.Node, donated ...*graph.Node) *Plan {
	p := &Plan{order: order, outs: outs, at: make(map[*graph.Node]int, len(order)), donated: map[*graph.Node]bool{}}
	for _, n := range donated {
		if _, ok := n.Op().(*graph.Input); ok {
			p.donated[n] = true
		}
	}
	vals := make([]memplan.Value, len(order))
	for i, n := range order {
		p.at[n] = i
		v := memplan.Value{Bytes: bytesOf(n), DType: n.DType(), Slotted: slotted(n.Op())}
		v.Overwrites, v.Over = overwrites(n, p.donated)
		if op, ok := n.Op().(*nodes.FusedMatMulOp); ok && len(v.Over) > 0 {
			v.Scratch = int64(dense.Size(op.Epi.Inputs[0].Shape)) * int64(n.DType().Size())
		}
		switch {
		case isInput(n.Op()):
			v.Kind, v.Donated = memplan.Fed, p.donated[n]
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

// fusedMatMulOver runs FusedMatMul i over its epilogue operand dst (a
// donated feed): the GEMM writes its product into the scratch slot the
// plan gave it, the epilogue reads that and dst and writes dst — the
// arithmetic of the usual path, so the results are the same bits.
func (p *Plan) fusedMatMulOver(a *arena, i int, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, error) {
	n := p.order[i]
	op := n.Op().(*nodes.FusedMatMulOp)
	if s := p.Scratch(i); s >= 0 {
		prod := a.tensor(s, n.DType(), op.Epi.Inputs[0].Shape)
		if v, ok, err := fusedMatMulInto(n, args, dst, prod); ok || err != nil {
			return v, err
		}
	}
	return n.Op().Eval(args)
}

// DonorOf is the donated input whose memory n's value is written into
// (an output written over the old weights), or nil.
func (p *Plan) DonorOf(n *graph.Node) *graph.Node {
	i, ok := p.at[n]
	if !ok {
		return nil
	}
	if d := p.Donor(i); d >= 0 {
		return p.order[d]
	}
	return nil
}

// Donated reports whether the plan may write over input n.
func (p *Plan) Donated(n *graph.Node) bool { return p.donated[n] }

func isInput(op graph.Op) bool {
	switch op.(type) {
	case *graph.Input, *graph.Const, *graph.Param:
		return true
	}
	return false
}
