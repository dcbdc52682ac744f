package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// foldTransposes removes the copies lowering introduces when it moves batch
// dims: a transpose of a transpose is one transpose (none if the two cancel),
// and a matmul operand that is a transpose of its batch dims, or of its two
// matrix dims, is read in place (the kernel takes strides or a trans flag).
func foldTransposes(outs []*graph.Node) ([]*graph.Node, error) {
	uses := useCounts(outs)
	orig := map[*graph.Node]*graph.Node{}
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		switch op := n.Op().(type) {
		case *nodes.Unary:
			v := rebuild(n, in)
			orig[v] = n
			return v
		case *nodes.TransposeOp:
			x := in[0]
			// Sink the transpose below a unary op used only here, so it
			// meets (and may cancel) the transpose feeding that op.
			if u, ok := x.Op().(*nodes.Unary); ok && uses[orig[x]] == 1 {
				return graph.Apply(u, transposeOf(x.Inputs()[0], op.Perm))
			}
			if t := transposeOf(x, op.Perm); t != n {
				return t
			}
			return nil
		case *nodes.BatchMatMulOp:
			if op.PermA != nil || op.PermB != nil {
				return nil
			}
			a, ta, pa := absorb(in[0], op.TransA)
			b, tb, pb := absorb(in[1], op.TransB)
			if pa != nil && slices.Equal(pa, pb) && a.Rank() == b.Rank() {
				// Both operands permuted alike: multiply in their own order
				// and permute the (smaller, usually) result instead, which the
				// next transpose may cancel.
				nb := len(pa)
				prod := graph.Apply(&nodes.BatchMatMulOp{TransA: ta, TransB: tb, Alpha: op.Alpha}, a, b)
				return nodes.Transpose(prod, append(slices.Clone(pa), nb, nb+1)...)
			}
			if a != in[0] || b != in[1] {
				return graph.Apply(&nodes.BatchMatMulOp{TransA: ta, TransB: tb, PermA: pa, PermB: pb, Alpha: op.Alpha}, a, b)
			}
		}
		return nil
	})
}

// transposeOf is Transpose(x, perm) with a transpose feeding it folded in,
// and no transpose at all when the two cancel.
func transposeOf(x *graph.Node, perm []int) *graph.Node {
	if inner, ok := x.Op().(*nodes.TransposeOp); ok {
		perm = compose(inner.Perm, perm)
		x = x.Inputs()[0]
	}
	if isIdentity(perm) {
		return x
	}
	return nodes.Transpose(x, perm...)
}

// absorb looks through a transpose feeding a matmul operand: one that swaps
// the two matrix dims flips the trans flag; one that only permutes batch dims
// becomes the operand's batch permutation.
func absorb(x *graph.Node, trans bool) (*graph.Node, bool, []int) {
	op, ok := x.Op().(*nodes.TransposeOp)
	if !ok {
		return x, trans, nil
	}
	p := op.Perm
	r := len(p)
	nb := r - 2
	if nb < 0 || !isPermOf(p[:nb], nb) {
		return x, trans, nil
	}
	src := x.Inputs()[0]
	switch {
	case p[nb] == nb+1 && p[nb+1] == nb:
		trans = !trans
	case p[nb] != nb || p[nb+1] != nb+1:
		return x, trans, nil
	}
	var batch []int
	if !isIdentity(p[:nb]) {
		batch = slices.Clone(p[:nb])
	}
	return src, trans, batch
}

// compose gives the permutation of Transpose(Transpose(x, a), b).
func compose(a, b []int) []int {
	out := make([]int, len(b))
	for k, v := range b {
		out[k] = a[v]
	}
	return out
}

func isIdentity(p []int) bool {
	for k, v := range p {
		if k != v {
			return false
		}
	}
	return true
}

// isPermOf reports whether p permutes 0..n-1.
func isPermOf(p []int, n int) bool {
	for _, v := range p {
		if v < 0 || v >= n {
			return false
		}
	}
	return true
}
