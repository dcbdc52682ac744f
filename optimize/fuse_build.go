package optimize

import (
	"fmt"
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// rebuild writes the program with each worthwhile group replaced by one
// fused node; the group's members, broadcasts and product are then needed by
// nothing else and drop out.
func (f *fuser) rebuild(order, outs []*graph.Node) ([]*graph.Node, error) {
	inside := map[*graph.Node]bool{}
	for _, g := range f.groups {
		if !g.worth() {
			continue
		}
		for n := range g.members {
			inside[n] = n != g.root
		}
		for n := range g.bcast {
			inside[n] = true
		}
		if g.product != nil {
			inside[g.product] = true
		}
		if g.via != nil {
			inside[g.via] = true
		}
	}
	memo := map[*graph.Node]*graph.Node{}
	for _, n := range order {
		if inside[n] {
			continue
		}
		var v *graph.Node
		n.Graph().WithSite(n.Site(), func() {
			if g := f.of[n]; g != nil && g.root == n && g.worth() {
				v = f.build(g, memo)
				return
			}
			in := n.Inputs()
			for k, x := range in {
				in[k] = memo[x]
			}
			v = rebuild(n, in)
		})
		if err := v.Err(); err != nil {
			return nil, err
		}
		memo[n] = v
	}
	res := make([]*graph.Node, len(outs))
	for k, o := range outs {
		if res[k] = memo[o]; res[k] == nil {
			return nil, fmt.Errorf("output %%%d was fused away", o.ID())
		}
	}
	return res, nil
}

// exprBuilder emits a group's instructions in dependency order.
type exprBuilder struct {
	f     *fuser
	g     *group
	e     nodes.Expr
	args  []*graph.Node       // the fused node's operands (original nodes)
	value map[*graph.Node]int // member -> instruction
	loads map[string]int      // operand and broadcast -> instruction
	input map[string]int      // operand and broadcast -> operand index
}

// build makes g's fused node from the rewritten operands in memo.
func (f *fuser) build(g *group, memo map[*graph.Node]*graph.Node) *graph.Node {
	b := &exprBuilder{f: f, g: g, e: nodes.Expr{Shape: slices.Clone(g.shape), Tail: g.tail},
		value: map[*graph.Node]int{}, loads: map[string]int{}, input: map[string]int{}}
	if g.product != nil {
		x := g.product
		if g.via != nil {
			x = g.via
		}
		b.load(x, identity(len(g.shape))) // operand 0: the product
	}
	b.emit(g.result)
	labels := g.root.Type().Labels
	in := make([]*graph.Node, len(b.args))
	for k, x := range b.args {
		in[k] = memo[x]
	}
	fused := &nodes.FusedOp{Expr: b.e, Labels: labels}
	if g.product == nil {
		return graph.Apply(fused, in...)
	}
	p := g.product.Inputs()
	return graph.Apply(&nodes.FusedMatMulOp{MM: g.product.Op(), Epi: fused}, append([]*graph.Node{memo[p[0]], memo[p[1]]}, in[1:]...)...)
}

func identity(r int) []int {
	d := make([]int, r)
	for k := range d {
		d[k] = k
	}
	return d
}

// emit returns the instruction computing member n, emitting it (and its
// operands) first if needed.
func (b *exprBuilder) emit(n *graph.Node) int {
	if v, ok := b.value[n]; ok {
		return v
	}
	if !b.g.members[n] {
		return b.operand(n)
	}
	var args []int
	for _, x := range n.Inputs() {
		args = append(args, b.emit(x))
	}
	ins := nodes.Instr{Args: args, DType: n.DType()}
	switch op := n.Op().(type) {
	case *nodes.Unary:
		ins.Kind, ins.Unary, ins.C = nodes.IUnary, op.Kind, op.C
	case *nodes.Binary:
		ins.Kind, ins.Binary = nodes.IBinary, op.Kind
	case *nodes.WhereOp:
		ins.Kind = nodes.IWhere
	}
	b.e.Code = append(b.e.Code, ins)
	b.value[n] = len(b.e.Code) - 1
	return b.value[n]
}

// operand reads a value from outside the group: a broadcast's operand along
// its dims, a transpose's operand with its dims permuted, a scalar constant
// inlined, a scalar repeated, or a trailing block repeated (the shorter side
// of a broadcasting binary op).
func (b *exprBuilder) operand(x *graph.Node) int {
	r := len(b.g.shape)
	switch {
	case b.g.bcast[x]:
		if t, ok := x.Op().(*nodes.TransposeOp); ok {
			dims := make([]int, len(t.Perm)) // operand dim t.Perm[j] is dim j
			for j, p := range t.Perm {
				dims[p] = j
			}
			return b.load(x.Inputs()[0], dims)
		}
		return b.load(x.Inputs()[0], x.Op().(*nodes.BroadcastOp).Dims)
	case x.Rank() == 0:
		if c, ok := x.Op().(*graph.Const); ok && graph.IsFloat(x.DType()) {
			b.e.Code = append(b.e.Code, nodes.Instr{Kind: nodes.IConst, C: dense.F64(c.Value)[0], DType: x.DType()})
			b.value[x] = len(b.e.Code) - 1
			return b.value[x]
		}
		return b.load(x, nil)
	}
	return b.load(x, identity(r)[r-x.Rank():])
}

func (b *exprBuilder) load(x *graph.Node, dims []int) int {
	key := fmt.Sprintf("%p %v", x, dims)
	if v, ok := b.loads[key]; ok {
		return v
	}
	k, ok := b.input[key]
	if !ok {
		k = len(b.args)
		b.args = append(b.args, x)
		b.e.Inputs = append(b.e.Inputs, nodes.ExprInput{DType: x.DType(), Shape: x.Shape(), Dims: slices.Clone(dims)})
		b.input[key] = k
	}
	b.e.Code = append(b.e.Code, nodes.Instr{Kind: nodes.ILoad, Input: k, DType: x.DType()})
	b.loads[key] = len(b.e.Code) - 1
	return b.loads[key]
}
