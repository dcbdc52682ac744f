package nodes

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
)

// Batching rules of the elementwise ops, and the trailing-suffix shape rule
// (Binary.Bcast) that they produce.

// ewIsSuffix reports whether s is a trailing suffix of l (equal included).
func ewIsSuffix(s, l []int) bool {
	return len(s) <= len(l) && slices.Equal(s, l[len(l)-len(s):])
}

// ewSuffixShape is Binary's rule under Bcast: one shape is a trailing suffix
// of the other (a scalar is a suffix of anything); the result has the longer.
func ewSuffixShape(a, b graph.Type) ([]int, error) {
	switch {
	case ewIsSuffix(b.Shape, a.Shape):
		return append([]int{}, a.Shape...), nil
	case ewIsSuffix(a.Shape, b.Shape):
		return append([]int{}, b.Shape...), nil
	}
	return nil, fmt.Errorf("shapes %s and %s: neither is a trailing suffix of the other", a.Dims(), b.Dims())
}

// ewEvalSuffixShape is ewSuffixShape on run-time values.
func ewEvalSuffixShape(a, b *tensor.Dense) ([]int, error) {
	for _, x := range []*tensor.Dense{a, b} {
		if len(x.Shape()) == 0 && x.Size() != 1 {
			return nil, fmt.Errorf("scalar operand holds %d elements", x.Size())
		}
	}
	return ewSuffixShape(graph.Type{Shape: a.Shape()}, graph.Type{Shape: b.Shape()})
}

// Batch lifts a Binary op, preferring to leave batch dims where they are:
//   - both batched: the operand with the shorter per-example shape (b when
//     they are equal) has its batch dim moved to line up with the longer
//     one's (with unequal shapes the result is the Bcast form), or, when the
//     longer one's batch dim lies in its leading dims where no such place
//     exists, the shorter one is broadcast to the longer one's shape (a
//     per-example scalar meeting a vector: the softmax and normalization
//     pattern), which fusion reads in place; the longer one never moves.
//   - one shared scalar: the same op; the batch dim stays.
//   - one shared u whose shape is a suffix of the batched v's per-example
//     shape: Bcast with v as is when its batch dim lies among the dims u
//     repeats over, else with v's batch dim moved to the front.
//   - one shared u longer than the batched v: v is moved to the front and
//     broadcast to [B, u's shape...]; Bcast with u as is; batch dim 0.
func (o *Binary) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 2 || len(bdim) != 2 {
		return nil, 0, fmt.Errorf("takes 2 operands, got %d", len(in))
	}
	x := [2]*graph.Node{in[0], in[1]}
	p := [2][]int{perExample(in[0], bdim[0]), perExample(in[1], bdim[1])}
	apply := func(bcast bool, bd int) (*graph.Node, int, error) {
		return checked(graph.Apply(&Binary{Kind: o.Kind, Bcast: o.Bcast || bcast}, x[0], x[1]), bd)
	}
	if bdim[0] >= 0 && bdim[1] >= 0 {
		l, s := 0, 1
		if len(p[1]) > len(p[0]) {
			l, s = 1, 0
		}
		if !ewIsSuffix(p[s], p[l]) {
			return nil, 0, fmt.Errorf("per-example shapes %v and %v are not suffix-related", p[0], p[1])
		}
		// s lines up with the trailing dims of l when its batch dim sits at
		// l's minus the k leading dims that s repeats over.
		k := len(p[l]) - len(p[s])
		if bdim[l] >= k {
			x[s] = MoveDim(x[s], bdim[s], bdim[l]-k)
			return apply(k > 0, bdim[l])
		}
		// l's batch dim lies among the dims s repeats over: repeat s (batch
		// dim first) into l's shape rather than transpose l, so the result
		// keeps l's layout; fusion reads the broadcast in place.
		dims := []int{bdim[l]}
		for j := range p[s] {
			dims = append(dims, x[l].Rank()-len(p[s])+j)
		}
		x[s] = graph.Apply(&BroadcastOp{Shape: x[l].Shape(), Dims: dims}, MoveDim(x[s], bdim[s], 0))
		return apply(o.Bcast, bdim[l])
	}
	u, v := 0, 1 // u shared, v batched
	if bdim[0] >= 0 {
		u, v = 1, 0
	}
	bd := bdim[v]
	switch {
	case len(p[u]) == 0:
		return apply(false, bd)
	case ewIsSuffix(p[u], p[v]):
		// u repeats over v's leading k per-example dims; v's batch dim must
		// be among them.
		if k := len(p[v]) - len(p[u]); bd > k {
			x[v], bd = MoveDim(x[v], bd, 0), 0
		}
		return apply(true, bd)
	case ewIsSuffix(p[v], p[u]):
		n := x[v].Dim(bd)
		k := len(p[u]) - len(p[v])
		dims := []int{0}
		for j := range p[v] {
			dims = append(dims, k+1+j)
		}
		shape := append([]int{n}, p[u]...)
		x[v] = graph.Apply(&BroadcastOp{Shape: shape, Dims: dims}, MoveDim(x[v], bd, 0))
		return apply(true, 0)
	}
	return nil, 0, fmt.Errorf("per-example shapes %v and %v are not suffix-related", p[0], p[1])
}

// Batch lifts Where: operands are brought to the batched result's shape,
// with the batch dim where the first batched full-shaped operand has it (0
// when there is none). Batched operands of that shape are moved there;
// shared non-scalars are expanded and batched per-example scalars broadcast
// along it; shared scalars stay scalars.
func (o *WhereOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 3 || len(bdim) != 3 {
		return nil, 0, fmt.Errorf("takes 3 operands, got %d", len(in))
	}
	n, err := batchSize(in, bdim)
	if err != nil {
		return nil, 0, err
	}
	per := make([][]int, len(in))
	var out []int
	t := -1
	for k := range in {
		per[k] = perExample(in[k], bdim[k])
		if len(per[k]) > 0 {
			out = per[k]
			if t < 0 && bdim[k] >= 0 {
				t = bdim[k]
			}
		}
	}
	t = max(t, 0)
	phys := slices.Insert(slices.Clone(out), t, n)
	args := make([]*graph.Node, len(in))
	for k, x := range in {
		switch {
		case bdim[k] < 0 && len(per[k]) == 0:
			args[k] = x
		case bdim[k] < 0:
			args[k] = Expand(x, t, n)
		case len(per[k]) == len(out):
			args[k] = MoveDim(x, bdim[k], t)
		default: // a batched per-example scalar, [B]
			args[k] = graph.Apply(&BroadcastOp{Shape: phys, Dims: []int{t}}, x)
		}
	}
	return checked(graph.Apply(&WhereOp{}, args...), t)
}
