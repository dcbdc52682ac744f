package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// contract turns a sum (or mean) of a product of broadcast and transposed
// operands — what a loop like D[k,n] = mean_{l,m} A[k,l,m]·B[l,n]·C[k,m]
// lowers to — into a sequence of pairwise contractions, each one batched
// GEMM, in a greedy cheapest-first order, so the full product over every
// index is never materialized. Einsum nodes go through the same planner.
func contract(outs []*graph.Node) ([]*graph.Node, error) {
	uses := useCounts(outs)
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		if !graph.IsFloat(n.DType()) {
			return nil
		}
		switch op := n.Op().(type) {
		case *nodes.Reduce:
			if op.Kind != nodes.RedSum && op.Kind != nodes.RedMean {
				return nil
			}
			return contractReduce(n, op, in[0], uses)
		case *nodes.EinsumOp:
			return contractEinsum(op, in)
		}
		return nil
	})
}

func useCounts(outs []*graph.Node) map[*graph.Node]int {
	uses := map[*graph.Node]int{}
	for _, n := range graph.Needed(outs) {
		for _, x := range n.Inputs() {
			uses[x]++
		}
	}
	for _, o := range outs {
		uses[o]++
	}
	return uses
}

// factor is an operand of a product with an index label per dim.
type factor struct {
	n      *graph.Node
	labels []int
}

// expand walks a product tree (multiplies, transposes, broadcasts used only
// by the tree) down to its factors, labelling every dim by the product's
// dim it runs along.
func expand(n *graph.Node, labels []int, uses map[*graph.Node]int, root bool, out *[]factor) {
	if root || uses[n] == 1 {
		switch op := n.Op().(type) {
		case *nodes.Binary:
			if op.Kind == nodes.BinMul {
				for _, x := range n.Inputs() {
					expand(x, labels[len(labels)-x.Rank():], uses, false, out)
				}
				return
			}
		case *nodes.TransposeOp:
			inner := make([]int, len(labels))
			for k, p := range op.Perm {
				inner[p] = labels[k]
			}
			expand(n.Inputs()[0], inner, uses, false, out)
			return
		case *nodes.BroadcastOp:
			inner := make([]int, len(op.Dims))
			for k, d := range op.Dims {
				inner[k] = labels[d]
			}
			expand(n.Inputs()[0], inner, uses, false, out)
			return
		}
	}
	*out = append(*out, factor{n, slices.Clone(labels)})
}

func contractReduce(n *graph.Node, op *nodes.Reduce, x *graph.Node, uses map[*graph.Node]int) *graph.Node {
	rank := x.Rank()
	labels := make([]int, rank)
	size := map[int]int{}
	for k := range labels {
		labels[k] = k
		size[k] = x.Dim(k)
	}
	var fs []factor
	expand(x, labels, uses, true, &fs)
	if len(fs) < 2 {
		return nil
	}
	reduced := op.Axes
	if reduced == nil {
		reduced = labels
	}
	var keep []int
	for _, l := range labels {
		if !slices.Contains(reduced, l) {
			keep = append(keep, l)
		}
	}
	r := plan(fs, keep, size)
	if op.Kind == nodes.RedMean {
		count := 1
		for _, l := range reduced {
			count *= size[l]
		}
		r = nodes.Scale(r, 1/float64(count))
	}
	return r
}

func contractEinsum(op *nodes.EinsumOp, in []*graph.Node) *graph.Node {
	if len(in) < 2 {
		return nil
	}
	ids := map[rune]int{}
	size := map[int]int{}
	id := func(c rune) int {
		if v, ok := ids[c]; ok {
			return v
		}
		ids[c] = len(ids)
		return ids[c]
	}
	fs := make([]factor, len(in))
	for k, term := range op.Inputs {
		for d, c := range []rune(term) {
			fs[k].labels = append(fs[k].labels, id(c))
			size[id(c)] = in[k].Dim(d)
		}
		fs[k].n = in[k]
		if dup(fs[k].labels) {
			return nil // diagonals: keep the direct kernel
		}
	}
	var keep []int
	for _, c := range op.Output {
		keep = append(keep, id(c))
	}
	return plan(fs, keep, size)
}

func dup(xs []int) bool {
	for k, x := range xs {
		if slices.Contains(xs[k+1:], x) {
			return true
		}
	}
	return false
}
