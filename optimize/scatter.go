package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// sumScatter rewrites a sum over a paired dim of a Scatter into one scatter
// whose index has that dim as one more row index: Σ_b scatter_b(v_b, i_b) adds
// every example's rows into one table. It is what the gradient of a shared
// table read per example (an embedding in a loop over a batch) lowers to:
// without it the program builds one table-sized gradient per example
// ([batch, vocab, d]) and sums them afterwards. It returns nil when n is not
// such a sum.
func sumScatter(n *graph.Node, in []*graph.Node) *graph.Node {
	r, ok := n.Op().(*nodes.Reduce)
	if !ok || r.Kind != nodes.RedSum || len(r.Axes) != 1 {
		return nil
	}
	d := r.Axes[0] // the summed output dim: it must be one of the pairs
	if t, ok := in[0].Op().(*nodes.TransposeOp); ok {
		if _, ok := in[0].Inputs()[0].Op().(*graph.Scatter); !ok {
			return nil // build nothing the rewrite would drop
		}
		// Σ over dim d of a transpose is a transpose of Σ over dim perm[d].
		inner := graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: []int{t.Perm[d]}}, in[0].Inputs()[0])
		s := sumScatter(inner, inner.Inputs())
		if s == nil {
			return nil
		}
		var perm []int
		for _, e := range t.Perm {
			switch {
			case e > t.Perm[d]:
				perm = append(perm, e-1)
			case e < t.Perm[d]:
				perm = append(perm, e)
			}
		}
		if slices.IsSorted(perm) {
			return s
		}
		return nodes.Transpose(s, perm...)
	}
	sc, ok := in[0].Op().(*graph.Scatter)
	if !ok {
		return nil
	}
	k := slices.Index(sc.Pairs, d)
	if k < 0 {
		return nil
	}
	v, idx := in[0].Inputs()[0], in[0].Inputs()[1]
	p := len(sc.Pairs)
	ni := idx.Rank() - p
	vd := d // d's position in v: x dims before Dim, the I dims, x dims after
	if d > sc.Dim {
		vd = d + ni - 1
	}
	dim := sc.Dim
	if d < sc.Dim {
		dim--
	}
	var pairs []int
	for j, e := range sc.Pairs {
		if j == k {
			continue
		}
		if e > d {
			e--
		}
		pairs = append(pairs, e)
	}
	// The pair's index dim becomes the first row-index dim, and v's dim the
	// first of its row dims.
	idx = nodes.MoveDim(idx, k, p-1)
	v = nodes.MoveDim(v, vd, dim)
	return graph.Apply(&graph.Scatter{Dim: dim, Pairs: pairs, Size: sc.Size}, v, idx)
}
