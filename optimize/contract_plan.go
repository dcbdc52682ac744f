package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// plan contracts factors down to one value with dims keep (in that order),
// summing every other label; the last product is computed with its dims in
// the order want where operand order allows (a consumer then transposes it
// there at no cost). Labels only one factor carries are summed on it
// first; then the pair whose result is smallest is contracted, until one
// factor is left (greedy, as opt_einsum's default for many operands).
func plan(fs []factor, keep, want []int, size map[int]int) *graph.Node {
	needed := func(l int, skip ...int) bool {
		if slices.Contains(keep, l) {
			return true
		}
		for k, f := range fs {
			if !slices.Contains(skip, k) && slices.Contains(f.labels, l) {
				return true
			}
		}
		return false
	}
	for k := range fs {
		var sum []int
		for d, l := range fs[k].labels {
			if !needed(l, k) {
				sum = append(sum, d)
			}
		}
		if len(sum) > 0 {
			fs[k] = sumDims(fs[k], sum)
		}
	}
	for len(fs) > 1 {
		bi, bj, best := 0, 1, -1
		for i := range fs {
			for j := i + 1; j < len(fs); j++ {
				cost := 1
				for _, l := range union(fs[i].labels, fs[j].labels) {
					if needed(l, i, j) {
						cost *= size[l]
					}
				}
				if best < 0 || cost < best {
					bi, bj, best = i, j, cost
				}
			}
		}
		a, b := fs[bi], fs[bj]
		var out []int
		for _, l := range union(a.labels, b.labels) {
			if needed(l, bi, bj) {
				out = append(out, l)
			}
		}
		if len(fs) == 2 && !inKeepOrder(pairLabels(a, b, out), want) && inKeepOrder(pairLabels(b, a, out), want) {
			a, b = b, a // the last product comes out in the order wanted: no transpose
		}
		c := pair(a, b, out, size)
		rest := []factor{c}
		for k, f := range fs {
			if k != bi && k != bj {
				rest = append(rest, f)
			}
		}
		fs = rest
	}
	f := fs[0]
	var sum []int
	for d, l := range f.labels {
		if !slices.Contains(keep, l) {
			sum = append(sum, d)
		}
	}
	if len(sum) > 0 {
		f = sumDims(f, sum)
	}
	return permute(f, keep).n
}

// pair contracts a and b into a factor with labels out: labels of both that
// are kept are batch dims, labels of both that are not are summed, the rest
// are the two free sides of one batched GEMM. Each operand is read as stored
// where a trans flag allows it ([M,K] or [K,M], [K,N] or [N,K]); of the
// orders the shared groups could take, the one copying the fewest elements
// wins.
func pair(a, b factor, out []int, size map[int]int) factor {
	var batch, contr, freeA, freeB []int
	for _, l := range a.labels {
		switch {
		case slices.Contains(b.labels, l) && slices.Contains(out, l):
			batch = append(batch, l)
		case slices.Contains(b.labels, l):
			contr = append(contr, l)
		default:
			freeA = append(freeA, l)
		}
	}
	for _, l := range b.labels {
		if !slices.Contains(a.labels, l) {
			freeB = append(freeB, l)
		}
	}
	prod := func(ls []int) int {
		p := 1
		for _, l := range ls {
			p *= size[l]
		}
		return p
	}
	B, M, K, N := prod(batch), prod(freeA), prod(contr), prod(freeB)
	if len(contr) == 0 && len(freeA) == 0 && len(freeB) == 0 {
		// Same labels on both sides, none summed: an elementwise product.
		return factor{nodes.Mul(a.n, permute(b, a.labels).n), slices.Clone(a.labels)}
	}
	type choice struct {
		oa, ob []int
		ta, tb bool
		cost   int
	}
	var best choice
	for _, bo := range [][]int{batch, inOrder(b.labels, batch)} {
		for _, co := range [][]int{contr, inOrder(b.labels, contr)} {
			oa, ta, ca := layout(a, bo, freeA, co)
			ob, tb, cb := layout(b, bo, co, freeB)
			if c := ca + cb; best.oa == nil || c < best.cost {
				best = choice{oa, ob, ta, tb, c}
			}
		}
	}
	am := nodes.Reshape(permute(a, best.oa).n, dim3(B, M, K, best.ta)...)
	bm := nodes.Reshape(permute(b, best.ob).n, dim3(B, K, N, best.tb)...)
	labels := cat(batch, freeA, freeB)
	dims := make([]int, len(labels))
	for k, l := range labels {
		dims[k] = size[l]
	}
	return factor{nodes.Reshape(nodes.BatchMatMul(am, bm, best.ta, best.tb), dims...), labels}
}

// pairLabels is the label order pair(a, b, out) produces: batch, a's free
// labels, b's free labels.
func pairLabels(a, b factor, out []int) []int {
	var batch, freeA, freeB []int
	for _, l := range a.labels {
		switch {
		case slices.Contains(b.labels, l) && slices.Contains(out, l):
			batch = append(batch, l)
		case !slices.Contains(b.labels, l):
			freeA = append(freeA, l)
		}
	}
	for _, l := range b.labels {
		if !slices.Contains(a.labels, l) {
			freeB = append(freeB, l)
		}
	}
	return cat(batch, freeA, freeB)
}

// inKeepOrder reports whether the kept labels among ls come in keep's order.
func inKeepOrder(ls, keep []int) bool {
	last := -1
	for _, l := range ls {
		if k := slices.Index(keep, l); k >= 0 {
			if k < last {
				return false
			}
			last = k
		}
	}
	return true
}

// layout orders f's labels as batch, first, second — or batch, second,
// first (a transposed GEMM operand) when that is f's own order — and says
// how many elements the transpose to that order would copy.
func layout(f factor, batch, first, second []int) (order []int, trans bool, cost int) {
	order = cat(batch, first, second)
	if alt := cat(batch, second, first); !slices.Equal(order, f.labels) && slices.Equal(alt, f.labels) {
		order, trans = alt, true
	}
	if !slices.Equal(order, f.labels) {
		cost = f.n.Type().Size()
	}
	return order, trans, cost
}

// inOrder is the labels of group in the order f lists them.
func inOrder(f, group []int) []int {
	return slices.DeleteFunc(slices.Clone(f), func(l int) bool { return !slices.Contains(group, l) })
}

// dim3 is a batched GEMM operand's dims, rows×cols or stored transposed.
func dim3(batch, rows, cols int, trans bool) []int {
	if trans {
		return []int{batch, cols, rows}
	}
	return []int{batch, rows, cols}
}

// sumDims sums a factor over some of its dims.
func sumDims(f factor, dims []int) factor {
	var labels []int
	for d, l := range f.labels {
		if !slices.Contains(dims, d) {
			labels = append(labels, l)
		}
	}
	return factor{graph.Apply(&nodes.Reduce{Kind: nodes.RedSum, Axes: dims}, f.n), labels}
}

// permute transposes a factor so its labels come in the order want.
func permute(f factor, want []int) factor {
	perm := make([]int, len(want))
	for k, l := range want {
		perm[k] = slices.Index(f.labels, l)
	}
	if isIdentity(perm) {
		return f
	}
	return factor{nodes.Transpose(f.n, perm...), want}
}

func union(a, b []int) []int {
	out := slices.Clone(a)
	for _, l := range b {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func cat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
