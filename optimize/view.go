package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// A view is a chain of reshapes and transposes applied to a source value,
// kept in a normal form that makes chains easy to compare and compose: the
// source's elements are split into numbered rdims (each larger than 1), every
// source dim and every result dim is a run of rdims, major first, and the
// result reads the rdims in its own order. Size-1 dims hold no rdim, so they
// come and go without moving data. A view whose result reads the rdims in
// source order is a reshape, free; any other needs one copy (a transpose) or
// a consumer that reads with strides.
type view struct {
	size     []int   // rdim sizes, by number
	in       [][]int // per source dim, its rdims
	out      [][]int // per result dim, its rdims
	inShape  []int
	outShape []int
}

// newView is the identity view of a value of the given shape, or nil for an
// empty value (nothing to lay out).
func newView(shape []int) *view {
	v := &view{inShape: slices.Clone(shape), outShape: slices.Clone(shape)}
	for _, n := range shape {
		var ids []int
		switch {
		case n == 0:
			return nil
		case n > 1:
			ids = []int{len(v.size)}
			v.size = append(v.size, n)
		}
		v.in = append(v.in, ids)
		v.out = append(v.out, slices.Clone(ids))
	}
	return v
}

func (v *view) clone() *view {
	c := func(g [][]int) [][]int {
		r := make([][]int, len(g))
		for k := range g {
			r[k] = slices.Clone(g[k])
		}
		return r
	}
	return &view{size: slices.Clone(v.size), in: c(v.in), out: c(v.out),
		inShape: slices.Clone(v.inShape), outShape: slices.Clone(v.outShape)}
}

func flat(g [][]int) []int {
	var r []int
	for _, ids := range g {
		r = append(r, ids...)
	}
	return r
}

// permutes reports whether the result reads the source out of order.
func (v *view) permutes() bool { return !slices.Equal(flat(v.in), flat(v.out)) }

// elems is the number of elements.
func (v *view) elems() int {
	n := 1
	for _, id := range flat(v.in) {
		n *= v.size[id]
	}
	return n
}

// transpose is Transpose(v, p).
func (v *view) transpose(p []int) *view {
	w := v.clone()
	for j, q := range p {
		w.out[j] = slices.Clone(v.out[q])
		w.outShape[j] = v.outShape[q]
	}
	return w
}

// regroup splits the run of rdims seq into groups of the given sizes (size-1
// groups are empty), splitting rdims where a group boundary falls inside
// one. It returns the groups and, for every split rdim, its pieces; false
// when the sizes do not line up (a reshape that mixes dims).
func (v *view) regroup(seq, shape []int) ([][]int, map[int][]int, bool) {
	groups := make([][]int, len(shape))
	pieces := map[int][]int{}
	i, cur, rem := 0, -1, 1
	for j, n := range shape {
		if n == 0 {
			return nil, nil, false
		}
		for n > 1 {
			if rem == 1 {
				if i == len(seq) {
					return nil, nil, false
				}
				cur, rem = seq[i], v.size[seq[i]]
				i++
			}
			switch {
			case rem <= n && n%rem == 0: // the rest of cur fits whole
				groups[j] = append(groups[j], cur)
				n /= rem
				rem = 1
			case rem%n == 0: // cur splits: its major part ends this group
				head, tail := len(v.size), len(v.size)+1
				v.size = append(v.size, n, rem/n)
				pieces[cur] = []int{head, tail}
				groups[j] = append(groups[j], head)
				cur, rem, n = tail, rem/n, 1
			default:
				return nil, nil, false
			}
		}
	}
	if rem != 1 || i != len(seq) {
		return nil, nil, false
	}
	return groups, pieces, true
}

// expand replaces split rdims by their pieces.
func expand(g [][]int, pieces map[int][]int) [][]int {
	var one func(id int) []int
	one = func(id int) []int {
		p, ok := pieces[id]
		if !ok {
			return []int{id}
		}
		return append(one(p[0]), one(p[1])...)
	}
	r := make([][]int, len(g))
	for k, ids := range g {
		for _, id := range ids {
			r[k] = append(r[k], one(id)...)
		}
	}
	return r
}

// reshape is Reshape(v, shape), or nil when it mixes dims the view keeps
// apart.
func (v *view) reshape(shape []int) *view {
	w := v.clone()
	groups, pieces, ok := w.regroup(flat(w.out), shape)
	if !ok {
		return nil
	}
	w.out, w.outShape = groups, slices.Clone(shape)
	w.in = expand(w.in, pieces)
	return w
}

// throughTranspose is v applied to Transpose(y, q), as a view of y.
func (v *view) throughTranspose(q []int) *view {
	w := v.clone()
	for i, d := range q {
		w.in[d] = slices.Clone(v.in[i])
		w.inShape[d] = v.inShape[i]
	}
	return w
}

// throughReshape is v applied to a reshape of a value of shape, as a view
// of that value, or nil when the reshape mixes dims the view keeps apart.
func (v *view) throughReshape(shape []int) *view {
	w := v.clone()
	groups, pieces, ok := w.regroup(flat(w.in), shape)
	if !ok {
		return nil
	}
	w.in, w.inShape = groups, slices.Clone(shape)
	w.out = expand(w.out, pieces)
	return w
}

// through is v applied to the layout op x, as a view of x's operand; nil
// when x is not a reshape or transpose, or the two do not compose.
func (v *view) through(x *graph.Node) *view {
	switch op := x.Op().(type) {
	case *nodes.TransposeOp:
		return v.throughTranspose(op.Perm)
	case *nodes.ReshapeOp, *nodes.RavelOp:
		return v.throughReshape(x.Inputs()[0].Shape())
	}
	return nil
}

func isLayout(x *graph.Node) bool {
	switch x.Op().(type) {
	case *nodes.TransposeOp, *nodes.ReshapeOp, *nodes.RavelOp:
		return true
	}
	return false
}

// pos maps each rdim to its position in seq.
func pos(seq []int) map[int]int {
	m := make(map[int]int, len(seq))
	for k, id := range seq {
		m[id] = k
	}
	return m
}

// build applies v to s (a value of v's source shape) with as few nodes as
// it takes: a reshape when v reads in order, else one transpose of the
// coarsest blocks of rdims that move together, between reshapes.
func (v *view) build(s *graph.Node, labels []*graph.Axis) *graph.Node {
	if !v.permutes() {
		return reshapeTo(s, v.outShape, labels)
	}
	src, rd := flat(v.in), pos(flat(v.out))
	// Blocks: runs of rdims adjacent in source order and in read order.
	var start []int // index into src of each block's first rdim
	var sizes []int
	for k, id := range src {
		if k > 0 && rd[id] == rd[src[k-1]]+1 {
			sizes[len(sizes)-1] *= v.size[id]
			continue
		}
		start = append(start, k)
		sizes = append(sizes, v.size[id])
	}
	perm := make([]int, len(start))
	for k := range perm {
		perm[k] = k
	}
	slices.SortFunc(perm, func(a, b int) int { return rd[src[start[a]]] - rd[src[start[b]]] })
	t := nodes.Transpose(reshapeTo(s, sizes, nil), perm...)
	return reshapeTo(t, v.outShape, labels)
}

// reshapeTo is x with the given shape (x itself if it has it already).
func reshapeTo(x *graph.Node, shape []int, labels []*graph.Axis) *graph.Node {
	if slices.Equal(x.Shape(), shape) {
		return x
	}
	op := &nodes.ReshapeOp{Dims: slices.Clone(shape)}
	if len(labels) == len(shape) {
		op.Labels = labels
	}
	return graph.Apply(op, x)
}

// operand is how a BatchMatMul reads v's result in place: v's result is a
// stack of matrices [batch..., r, c]; the source, reshaped to phys, holds
// the same matrices with batch dims permuted by perm (nil: in order) and, if
// trans, each matrix transposed. ok is false when the source cannot be read
// that way (a dim whose rdims are not adjacent in the source, or a batch dim
// stored inside a matrix).
func (v *view) operand() (phys, perm []int, trans, ok bool) {
	nb := len(v.out) - 2
	if nb < 0 {
		return nil, nil, false, false
	}
	sp := pos(flat(v.in))
	first := make([]int, len(v.out))
	for j, g := range v.out {
		for k := 1; k < len(g); k++ {
			if sp[g[k]] != sp[g[k-1]]+1 {
				return nil, nil, false, false
			}
		}
		if len(g) > 0 {
			first[j] = sp[g[0]]
		}
	}
	lastBatch, firstMat := -1, len(sp)
	for j, g := range v.out {
		switch {
		case len(g) == 0:
		case j < nb:
			lastBatch = max(lastBatch, sp[g[len(g)-1]])
		default:
			firstMat = min(firstMat, first[j])
		}
	}
	if lastBatch > firstMat {
		return nil, nil, false, false
	}
	// Batch dims holding data go to the slots they fill, in source order;
	// size-1 dims stay where they are.
	var filled []int
	for j := range nb {
		if len(v.out[j]) > 0 {
			filled = append(filled, j)
		}
	}
	sorted := slices.Clone(filled)
	slices.SortFunc(sorted, func(a, b int) int { return first[a] - first[b] })
	slot := make([]int, nb) // slot[j]: the physical dim logical batch dim j is in
	for j := range slot {
		slot[j] = j
	}
	for k, j := range sorted {
		slot[j] = filled[k]
	}
	phys = make([]int, nb, nb+2)
	for j, s := range slot {
		phys[s] = v.outShape[j]
	}
	r, c := v.out[nb], v.out[nb+1]
	trans = len(r) > 0 && len(c) > 0 && first[nb] > first[nb+1]
	if trans {
		phys = append(phys, v.outShape[nb+1], v.outShape[nb])
	} else {
		phys = append(phys, v.outShape[nb], v.outShape[nb+1])
	}
	if !isIdentity(slot) {
		perm = slot
	}
	return phys, perm, trans, true
}
