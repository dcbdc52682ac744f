package nodes

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
)

// Helpers shared by the gradient (VJP) rules. A rule builds its cotangents
// from the given nodes with the ordinary builders, so it works the same at
// top level and inside a loop body being traced (graph.Apply threads outside
// values in), and the result is graph like any other: lowered, fused and
// optimized together with the forward pass. Rules never look at data.
//
// Cotangents keep the operand's dtype; integer and bool operands carry none
// (nil).

// floaty reports whether x carries a gradient.
func floaty(x *graph.Node) bool { return graph.IsFloat(x.DType()) }

// scalarLike is the rank-0 constant v in x's dtype.
func scalarLike(x *graph.Node, v float64) *graph.Node { return x.Graph().Scalar(v, x.DType()) }

// sumLeading sums g over its leading dims down to the trailing shape of an
// operand that was repeated over them: a rank-0 operand (rule 1), or the
// shorter side of a Bcast op. g itself when the ranks agree.
func sumLeading(g *graph.Node, shape []int) *graph.Node {
	k := g.Rank() - len(shape)
	if k <= 0 {
		return g
	}
	axes := make([]int, k)
	for d := range axes {
		axes[d] = d
	}
	return graph.Apply(&Reduce{Kind: RedSum, Axes: axes}, g)
}

// bcastLeading repeats x, whose shape is a trailing suffix of shape, over
// shape's leading dims; x itself when the ranks agree.
func bcastLeading(x *graph.Node, shape []int) *graph.Node {
	k := len(shape) - x.Rank()
	if k <= 0 {
		return x
	}
	dims := make([]int, x.Rank())
	for d := range dims {
		dims[d] = k + d
	}
	return graph.Apply(&BroadcastOp{Shape: append([]int{}, shape...), Dims: dims}, x)
}

// bcastKept repeats v, the result of reducing x's dims other than kept,
// back to x's shape (the transpose of that reduction).
func bcastKept(v *graph.Node, shape, kept []int) *graph.Node {
	if len(kept) == len(shape) {
		return v
	}
	return graph.Apply(&BroadcastOp{Shape: append([]int{}, shape...), Dims: kept}, v)
}

// sumBatch sums g, of a batched op's full batch shape, down to an operand's
// shape whose batch dims (the first nb) may be 1 where the op repeated them.
func sumBatch(g *graph.Node, shape []int, nb int) *graph.Node {
	var axes []int
	for d := 0; d < nb && d < len(shape); d++ {
		if shape[d] == 1 && g.Dim(d) != 1 {
			axes = append(axes, d)
		}
	}
	if len(axes) == 0 {
		return g
	}
	return Reshape(graph.Apply(&Reduce{Kind: RedSum, Axes: axes}, g), shape...)
}

// swapLast transposes the last two dims of x (T for a matrix).
func swapLast(x *graph.Node) *graph.Node {
	r := x.Rank()
	if r == 2 {
		return T(x)
	}
	perm := make([]int, r)
	for d := range perm {
		perm[d] = d
	}
	perm[r-2], perm[r-1] = r-1, r-2
	return Transpose(x, perm...)
}

// invPerm is the permutation that undoes p.
func invPerm(p []int) []int {
	inv := make([]int, len(p))
	for k, v := range p {
		inv[v] = k
	}
	return inv
}

// grads returns gs, or the error of the first poisoned one, so a rule whose
// construction failed says why instead of handing back broken nodes.
func grads(op graph.Op, gs ...*graph.Node) ([]*graph.Node, error) {
	for _, g := range gs {
		if g != nil && g.Err() != nil {
			return nil, fmt.Errorf("%s gradient: %w", op.Name(), g.Err())
		}
	}
	return gs, nil
}

// arity checks the operand count a VJP is handed.
func arity(op graph.Op, in []*graph.Node, n int) error {
	if len(in) != n {
		return fmt.Errorf("%s gradient: %d operands, want %d", op.Name(), len(in), n)
	}
	return nil
}
