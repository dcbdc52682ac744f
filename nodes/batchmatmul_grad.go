package nodes

import "github.com/loomtensor/loom/graph"

// VJP of C = α·A'·B', where A' is a (transposed when TransA) and B' is b
// (transposed when TransB), after their batch permutations: Ā' = α·C̄·B'ᵀ
// and B̄' = α·A'ᵀ·C̄, each written as one BatchMatMul whose transpose flags
// read the stored operands as they are (nothing is transposed in memory),
// then summed over the batch dims an operand repeated and permuted back to
// the operand's own layout. Integer operands carry no gradient.
func (o *BatchMatMulOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !floaty(a) {
		return []*graph.Node{nil, nil}, nil
	}
	la, lb := bmLogical(a, o.PermA), bmLogical(b, o.PermB)
	mm := func(x, y *graph.Node, tx, ty bool) *graph.Node {
		return graph.Apply(&BatchMatMulOp{TransA: tx, TransB: ty, Alpha: o.Alpha}, x, y)
	}
	var ga, gb *graph.Node
	switch ta, tb := o.TransA, o.TransB; {
	case !ta && !tb: // C = A·B
		ga, gb = mm(ct, lb, false, true), mm(la, ct, true, false)
	case !ta && tb: // C = A·Bᵀ, B̄ = C̄ᵀ·A
		ga, gb = mm(ct, lb, false, false), mm(ct, la, true, false)
	case ta && !tb: // C = Aᵀ·B, Ā = B·C̄ᵀ
		ga, gb = mm(lb, ct, false, true), mm(la, ct, false, false)
	default: // C = Aᵀ·Bᵀ, Ā = Bᵀ·C̄ᵀ, B̄ = C̄ᵀ·Aᵀ
		ga, gb = mm(lb, ct, true, true), mm(ct, la, true, true)
	}
	nb := la.Rank() - 2
	ga = bmPhysical(sumBatch(ga, la.Shape(), nb), o.PermA)
	gb = bmPhysical(sumBatch(gb, lb.Shape(), nb), o.PermB)
	return grads(o, ga, gb)
}

// bmLogical is x with its batch permutation p applied (x when p is nil).
func bmLogical(x *graph.Node, p []int) *graph.Node {
	if p == nil {
		return x
	}
	return Transpose(x, bmPerm(p, x.Rank())...)
}

// bmPhysical undoes bmLogical on a cotangent.
func bmPhysical(g *graph.Node, p []int) *graph.Node {
	if p == nil {
		return g
	}
	return Transpose(g, invPerm(bmPerm(p, g.Rank()))...)
}
