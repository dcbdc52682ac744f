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
	// A reduction read only by a transpose (lowering puts loop dims back in
	// place that way) is best produced in the transpose's order.
	after := map[*graph.Node][]int{}
	for _, n := range graph.Needed(outs) {
		if t, ok := n.Op().(*nodes.TransposeOp); ok && uses[n.Inputs()[0]] == 1 {
			after[n.Inputs()[0]] = t.Perm
		}
	}
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		if !graph.IsFloat(n.DType()) {
			return nil
		}
		switch op := n.Op().(type) {
		case *nodes.Reduce:
			if op.Kind != nodes.RedSum && op.Kind != nodes.RedMean {
				return nil
			}
			return contractReduce(n, op, in[0], uses, after[n])
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

// expander walks a product tree down to its factors, labelling every dim by
// the index it runs along: the product's own dims are labels 0..rank-1, the
// inner dims of matmuls met on the way get fresh labels.
type expander struct {
	uses  map[*graph.Node]int
	size  map[int]int
	next  int     // the next fresh label
	scale float64 // constant factors met on the way (scales, GEMM alphas)
	mm    bool    // a matmul or outer product was expanded
	fs    []factor
}

func (e *expander) fresh(n int) int {
	l := e.next
	e.next++
	e.size[l] = n
	return l
}

// expand looks through multiplies, transposes, broadcasts, scales, reshapes
// that only add or drop size-1 dims, and (batched) matrix and outer products,
// each used only by the tree.
func (e *expander) expand(n *graph.Node, labels []int, root bool) {
	if !root && e.uses[n] != 1 {
		e.fs = append(e.fs, factor{n, slices.Clone(labels)})
		return
	}
	in := n.Inputs()
	switch op := n.Op().(type) {
	case *nodes.Binary:
		if op.Kind == nodes.BinMul {
			for k, x := range in {
				if allEqual(x, 1) && slices.Equal(in[1-k].Shape(), n.Shape()) {
					continue // x·1 (a gradient's seed of ones): no factor
				}
				e.expand(x, labels[len(labels)-x.Rank():], false)
			}
			return
		}
	case *nodes.Unary:
		if op.Kind == nodes.UnScale {
			e.scale *= op.C
			e.expand(in[0], labels, false)
			return
		}
	case *nodes.TransposeOp:
		inner := make([]int, len(labels))
		for k, p := range op.Perm {
			inner[p] = labels[k]
		}
		e.expand(in[0], inner, false)
		return
	case *nodes.BroadcastOp:
		inner := make([]int, len(op.Dims))
		for k, d := range op.Dims {
			inner[k] = labels[d]
		}
		e.expand(in[0], inner, false)
		return
	case *nodes.ReshapeOp, *nodes.RavelOp:
		if inner, ok := e.squeezed(in[0].Shape(), n.Shape(), labels); ok {
			e.expand(in[0], inner, false)
			return
		}
	case *nodes.BatchMatMulOp:
		e.batchMatMul(op, in[0], in[1], labels)
		return
	case *nodes.MatMulOp:
		a, b := in[0], in[1]
		k := e.fresh(a.Dim(a.Rank() - 1))
		la, lb := []int{k}, []int{k}
		if a.Rank() == 2 {
			la = []int{labels[0], k}
		}
		if b.Rank() == 2 {
			lb = []int{k, labels[len(labels)-1]}
		}
		e.mm = true
		e.expand(a, la, false)
		e.expand(b, lb, false)
		return
	case *nodes.OuterOp:
		e.mm = true
		e.expand(in[0], labels[:1], false)
		e.expand(in[1], labels[1:], false)
		return
	}
	e.fs = append(e.fs, factor{n, slices.Clone(labels)})
}

// squeezed labels the dims of a value reshaped from inner to outer when the
// reshape only adds or drops size-1 dims: its other dims keep their labels,
// its size-1 dims get fresh ones.
func (e *expander) squeezed(inner, outer []int, labels []int) ([]int, bool) {
	var big []int // labels of outer's dims larger than 1
	for d, s := range outer {
		if s != 1 {
			big = append(big, labels[d])
		}
	}
	out := make([]int, len(inner))
	for d, s := range inner {
		switch {
		case s == 1:
			out[d] = e.fresh(1)
		case len(big) == 0 || e.size[big[0]] != s:
			return nil, false
		default:
			out[d], big = big[0], big[1:]
		}
	}
	return out, len(big) == 0
}

// batchMatMul labels a BatchMatMul's operands: batch dims as the result's
// (a fresh label where an operand repeats a size-1 batch dim), the inner dim
// fresh.
func (e *expander) batchMatMul(op *nodes.BatchMatMulOp, a, b *graph.Node, labels []int) {
	nb := len(labels) - 2
	k := a.Dim(nb + 1)
	if op.TransA {
		k = a.Dim(nb)
	}
	kl := e.fresh(k)
	side := func(x *graph.Node, perm []int, trans bool, free int) []int {
		ls := make([]int, nb+2)
		for j := range nb {
			p := j
			if perm != nil {
				p = perm[j]
			}
			ls[p] = labels[j]
			if x.Dim(p) != e.size[labels[j]] {
				ls[p] = e.fresh(x.Dim(p))
			}
		}
		ls[nb], ls[nb+1] = free, kl
		if trans {
			ls[nb], ls[nb+1] = kl, free
		}
		return ls
	}
	la := side(a, op.PermA, op.TransA, labels[nb])
	lb := side(b, op.PermB, !op.TransB, labels[nb+1])
	e.scale *= op.Scale()
	e.mm = true
	e.expand(a, la, false)
	e.expand(b, lb, false)
}

func contractReduce(n *graph.Node, op *nodes.Reduce, x *graph.Node, uses map[*graph.Node]int, then []int) *graph.Node {
	rank := x.Rank()
	labels := make([]int, rank)
	e := &expander{uses: uses, size: map[int]int{}, next: rank, scale: 1}
	for k := range labels {
		labels[k] = k
		e.size[k] = x.Dim(k)
	}
	e.expand(x, labels, true)
	if len(e.fs) < 2 {
		return nil
	}
	reduced := op.Axes
	if reduced == nil {
		reduced = labels
	}
	// A matmul's own result is already one GEMM: re-planning it pays only
	// when the sum runs over a dim two factors share (the batch dim of a
	// batched product, summed: one GEMM contracting over it).
	if e.mm && !slices.ContainsFunc(reduced, func(l int) bool { return shared(e.fs, l) }) {
		return nil
	}
	for _, s := range e.size {
		if s == 0 {
			return nil // empty: nothing to save
		}
	}
	var keep []int
	for _, l := range labels {
		if !slices.Contains(reduced, l) {
			keep = append(keep, l)
		}
	}
	want := keep // the order the result is best computed in
	if len(then) == len(keep) {
		want = make([]int, len(keep))
		for j, p := range then {
			want[j] = keep[p]
		}
	}
	r := plan(squeeze(e.fs, e.size), squeezeLabels(keep, e.size), squeezeLabels(want, e.size), e.size)
	if !slices.Equal(r.Shape(), n.Shape()) {
		r = nodes.Reshape(r, n.Shape()...)
	}
	scale := e.scale
	if op.Kind == nodes.RedMean {
		count := 1
		for _, l := range reduced {
			count *= e.size[l]
		}
		scale /= float64(count)
	}
	if scale != 1 {
		r = nodes.Scale(r, scale)
	}
	return r
}

// shared reports whether two or more factors carry label l.
func shared(fs []factor, l int) bool {
	c := 0
	for _, f := range fs {
		if slices.Contains(f.labels, l) {
			c++
		}
	}
	return c >= 2
}

// squeeze drops the size-1 dims of every factor (a free reshape): they
// carry no index to contract, and would otherwise pad GEMM shapes.
func squeeze(fs []factor, size map[int]int) []factor {
	out := make([]factor, len(fs))
	for k, f := range fs {
		ls := squeezeLabels(f.labels, size)
		out[k] = factor{f.n, ls}
		if len(ls) != len(f.labels) {
			dims := make([]int, len(ls))
			for d, l := range ls {
				dims[d] = size[l]
			}
			out[k].n = nodes.Reshape(f.n, dims...)
		}
	}
	return out
}

func squeezeLabels(ls []int, size map[int]int) []int {
	return slices.DeleteFunc(slices.Clone(ls), func(l int) bool { return size[l] == 1 })
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
	return plan(fs, keep, keep, size)
}

func dup(xs []int) bool {
	for k, x := range xs {
		if slices.Contains(xs[k+1:], x) {
			return true
		}
	}
	return false
}
