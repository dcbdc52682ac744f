package cpu

import (
	"math"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/internal/vmath"
	"github.com/loomtensor/loom/nodes"
)

// reduce runs Reduce over any set of dims in float32 and float64. Size-1
// dims are dropped and neighbouring dims that are both reduced or both kept
// are merged, so every case is one of three walks over contiguous memory:
//
//   - the innermost dim is reduced: each output folds runs of contiguous
//     elements (softmax's rows, a per-example sum); outputs go to workers;
//   - the innermost dim is kept: each output row is a sum of contiguous
//     input rows (a sum over the batch), accumulated a row at a time;
//     rows, or column blocks of a single row, go to workers;
//   - everything is reduced: fixed blocks of the input are folded by the
//     workers and their partial results merged in block order.
//
// Sums and means accumulate in float64, as the reference does; max and min
// fold as math.Max and math.Min (NaN wins, except over +Inf for max and
// -Inf for min); log-sum-exp shifts by the max so it cannot overflow. Empty reductions and integers go to the reference rule
// (which reports Max and Min of nothing as an error).
func reduce(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.Reduce)
	x := dense.Contiguous(args[0])
	shape := dense.Shape(x)
	red := make([]bool, len(shape))
	for d := range red {
		red[d] = op.Axes == nil
	}
	for _, a := range op.Axes {
		if a < 0 || a >= len(shape) {
			return nil, false, nil
		}
		red[a] = true
	}
	count := 1
	for d, s := range shape {
		if red[d] {
			count *= s
		}
	}
	if x.Size() == 0 || count == 0 {
		return nil, false, nil
	}
	g := mergeDims(shape, red)
	switch x.Dtype() {
	case tensor.Float32:
		out := dense.Zeros(tensor.Float32, n.Shape())
		reduceAll(op.Kind, g, x.Float32s(), out.Float32s(), count)
		return out, true, nil
	case tensor.Float64:
		out := dense.Zeros(tensor.Float64, n.Shape())
		reduceAll(op.Kind, g, x.Float64s(), out.Float64s(), count)
		return out, true, nil
	}
	return nil, false, nil
}

// groups is a contiguous value's dims after dropping size-1 dims and
// merging neighbours of the same kind, outermost first, with strides.
type groups struct {
	size, stride []int
	red          []bool
}

func mergeDims(shape []int, red []bool) groups {
	var g groups
	for d, s := range shape {
		if s == 1 {
			continue
		}
		if l := len(g.size) - 1; l >= 0 && g.red[l] == red[d] {
			g.size[l] *= s
			continue
		}
		g.size = append(g.size, s)
		g.red = append(g.red, red[d])
	}
	g.stride = dense.Strides(g.size)
	return g
}

// offsets lists the element offsets of every index combination of the groups
// whose red flag is want, skipping the innermost group when skipLast (the
// first group slowest); [0] for none.
func (g groups) offsets(want, skipLast bool) []int {
	offs := []int{0}
	last := len(g.size)
	if skipLast {
		last--
	}
	for k := 0; k < last; k++ {
		if g.red[k] != want {
			continue
		}
		next := make([]int, 0, len(offs)*g.size[k])
		for _, o := range offs {
			for i := range g.size[k] {
				next = append(next, o+i*g.stride[k])
			}
		}
		offs = next
	}
	return offs
}

// reduceMinWork is the number of elements below which a reduction runs on
// the calling goroutine.
const reduceMinWork = 1 << 15

func reduceAll[T float](kind nodes.ReduceKind, g groups, x, out []T, count int) {
	inv := 1.0 // a mean's 1/count, applied to the float64 sum
	if kind == nodes.RedMean {
		inv = 1 / float64(count)
	}
	L := len(g.size)
	switch {
	case !slices.Contains(g.red, true): // only size-1 dims reduced
		copy(out, x)
	case L == 1: // everything reduced (same-kind neighbours are merged)
		out[0] = foldBlocks(kind, x, inv)
	case g.red[L-1]:
		foldRuns(kind, g, x, out, inv)
	default:
		foldRows(kind, g, x, out, inv)
	}
}

// foldBlocks reduces all of x: fixed blocks on the workers, partial results
// merged in block order (so the result does not depend on scheduling).
func foldBlocks[T float](kind nodes.ReduceKind, x []T, inv float64) T {
	W := parallel.Workers()
	nb := 1
	if len(x) >= 4*reduceMinWork {
		nb = 4 * W
	}
	blk := (len(x) + nb - 1) / nb
	part := make([]float64, nb)
	run := func(f func(v []T) float64) {
		parallel.For(nb, 1, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				part[b] = f(x[min(len(x), b*blk):min(len(x), (b+1)*blk)])
			}
		})
	}
	switch kind {
	case nodes.RedSum, nodes.RedMean:
		run(sumRun[T])
		s := 0.0
		for _, v := range part {
			s += v
		}
		return T(s * inv)
	case nodes.RedMax, nodes.RedMin:
		run(func(v []T) float64 { return float64(extRun(kind, v, ext0[T](kind))) })
		m := ext0[T](kind)
		for _, v := range part {
			m = extOf(kind, m, T(v))
		}
		return m
	default: // log-sum-exp
		run(func(v []T) float64 { return float64(extRun(nodes.RedMax, v, ext0[T](nodes.RedMax))) })
		m := ext0[T](nodes.RedMax)
		for _, v := range part {
			m = extOf(nodes.RedMax, m, T(v))
		}
		if lseSpecial(float64(m)) {
			return m
		}
		run(func(v []T) float64 { return expSum(v, m, make([]T, len(v))) })
		s := 0.0
		for _, v := range part {
			s += v
		}
		return T(float64(m) + math.Log(s))
	}
}

// foldRuns: the innermost group (n contiguous elements) is reduced. Output
// o folds, for each combination of the outer reduced groups, the run at
// its kept offset.
func foldRuns[T float](kind nodes.ReduceKind, g groups, x, out []T, inv float64) {
	n := g.size[len(g.size)-1]
	koff, roff := g.offsets(false, false), g.offsets(true, true)
	work := len(roff) * n
	parallel.For(len(koff), max(1, reduceMinWork/work), func(lo, hi int) {
		var scratch []T
		if kind == nodes.RedLogSumExp {
			scratch = make([]T, n)
		}
		for o := lo; o < hi; o++ {
			base := koff[o]
			switch kind {
			case nodes.RedSum, nodes.RedMean:
				s := 0.0
				for _, r := range roff {
					s += sumRun(x[base+r : base+r+n])
				}
				out[o] = T(s * inv)
			case nodes.RedMax, nodes.RedMin:
				m := ext0[T](kind)
				for _, r := range roff {
					m = extRun(kind, x[base+r:base+r+n], m)
				}
				out[o] = m
			default:
				m := ext0[T](nodes.RedMax)
				for _, r := range roff {
					m = extRun(nodes.RedMax, x[base+r:base+r+n], m)
				}
				if lseSpecial(float64(m)) {
					out[o] = m
					continue
				}
				s := 0.0
				for _, r := range roff {
					s += expSum(x[base+r:base+r+n], m, scratch)
				}
				out[o] = T(float64(m) + math.Log(s))
			}
		}
	})
}

// foldRows: the innermost group (m contiguous elements) is kept. Each row of
// m outputs accumulates the input rows at every reduced offset; with few
// rows, the columns are split instead.
func foldRows[T float](kind nodes.ReduceKind, g groups, x, out []T, inv float64) {
	m := g.size[len(g.size)-1]
	koff, roff := g.offsets(false, true), g.offsets(true, false)
	rows := len(koff)
	W := parallel.Workers()
	cw := m // column block
	if rows < 2*W && rows*len(roff)*m >= 2*reduceMinWork {
		cw = max(256, (m+2*W-1)/(2*W))
	}
	nc := (m + cw - 1) / cw
	grain := max(1, reduceMinWork/max(1, len(roff)*cw))
	parallel.For(rows*nc, grain, func(lo, hi int) {
		acc := make([]float64, cw)
		var scratch []T
		if kind == nodes.RedLogSumExp {
			scratch = make([]T, cw)
		}
		for t := lo; t < hi; t++ {
			q, c0 := t/nc, t%nc*cw
			c1 := min(m, c0+cw)
			base := koff[q] + c0
			o := out[q*m+c0 : q*m+c1]
			switch kind {
			case nodes.RedSum, nodes.RedMean:
				a := acc[:c1-c0]
				sumRows(a, x, base, roff)
				for j, v := range a {
					o[j] = T(v * inv)
				}
			case nodes.RedMax, nodes.RedMin:
				copy(o, x[base+roff[0]:])
				for _, r := range roff[1:] {
					extRow(kind, o, x[base+r:base+r+len(o)])
				}
			default:
				copy(o, x[base+roff[0]:])
				for _, r := range roff[1:] {
					extRow(nodes.RedMax, o, x[base+r:base+r+len(o)])
				}
				a := acc[:c1-c0]
				clear(a)
				for _, r := range roff {
					expAddRow(a, x[base+r:base+r+len(a)], o, scratch)
				}
				for j, v := range a {
					if mj := float64(o[j]); !lseSpecial(mj) {
						o[j] = T(mj + math.Log(v))
					}
				}
			}
		}
	})
}

// lseSpecial: a max of ±Inf or NaN is the log-sum-exp itself.
func lseSpecial(m float64) bool { return math.IsInf(m, 0) || math.IsNaN(m) }

// ext0 is the identity of max (-Inf) or min (+Inf).
func ext0[T float](kind nodes.ReduceKind) T {
	if kind == nodes.RedMin {
		return T(math.Inf(1))
	}
	return T(math.Inf(-1))
}

// extOf is max or min of m and v as math.Max or math.Min give it.
func extOf[T float](kind nodes.ReduceKind, m, v T) T {
	inf := T(math.Inf(1)) // the reference folds with math.Max/Min: ±Inf beats NaN
	if kind == nodes.RedMin {
		inf = -inf
	}
	switch {
	case m == inf || v == inf:
		return inf
	case v != v:
		return v
	case m != m:
		return m
	case kind == nodes.RedMax && v > m, kind == nodes.RedMin && v < m:
		return v
	}
	return m
}

// extRun folds a run into m as the reference does (math.Max or math.Min:
// +Inf, or -Inf for min, beats NaN, and NaN beats the rest). The bulk of a
// long run goes through the AVX kernel, which tracks NaNs apart from the
// max (VMAXPS would drop them); a run with a NaN takes the exact fold.
func extRun[T float](kind nodes.ReduceKind, v []T, m T) T {
	if m != m {
		return extFold(kind, v, m)
	}
	if reduceAVX2 {
		var e float64
		var nan bool
		nv := 0
		switch w := any(v).(type) {
		case []float32:
			if nv = len(w) &^ 7; nv > 0 {
				var e32 float32
				e32, nan = ext32AVX2(&w[0], nv, kind == nodes.RedMin)
				e = float64(e32)
			}
		case []float64:
			if nv = len(w) &^ 3; nv > 0 {
				e, nan = ext64AVX2(&w[0], nv, kind == nodes.RedMin)
			}
		}
		if nan {
			return extFold(kind, v, m)
		}
		if nv > 0 {
			m = extOf(kind, m, T(e))
			v = v[nv:]
		}
	}
	if kind == nodes.RedMax {
		for k, x := range v {
			if x > m {
				m = x
			} else if x != x {
				return extFold(kind, v[k:], m)
			}
		}
		return m
	}
	for k, x := range v {
		if x < m {
			m = x
		} else if x != x {
			return extFold(kind, v[k:], m)
		}
	}
	return m
}

// extFold is extRun one element at a time, for runs holding a NaN.
func extFold[T float](kind nodes.ReduceKind, v []T, m T) T {
	for _, x := range v {
		m = extOf(kind, m, x)
	}
	return m
}

// extRow folds a row into o element by element.
func extRow[T float](kind nodes.ReduceKind, o, v []T) {
	v = v[:len(o)]
	for j, x := range v {
		o[j] = extOf(kind, o[j], x)
	}
}

// sumRun sums a run in float64 with four accumulators (independent add
// chains; the order is fixed, so results are reproducible); float32 runs
// are widened and added 16 at a time by the AVX kernel.
func sumRun[T float](v []T) float64 {
	var s0, s1, s2, s3 float64
	if w, ok := any(v).([]float32); ok && reduceAVX2 && len(w) >= 16 {
		nv := len(w) &^ 15
		s0, v = sum32AVX2(&w[0], nv), v[nv:]
	}
	i := 0
	for ; i+4 <= len(v); i += 4 {
		q := v[i : i+4 : i+4]
		s0 += float64(q[0])
		s1 += float64(q[1])
		s2 += float64(q[2])
		s3 += float64(q[3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumRows sets a[j] = Σ_r x[base+r+j] in float64, rows added in order:
// float64 rows with SIMD adds straight into a, float32 rows widened by the
// AVX kernel four rows a pass. (Summing float32 rows in float32 first
// drifted past 1e-5 of the float64 sum within a few hundred rows.)
func sumRows[T float](a []float64, x []T, base int, roff []int) {
	w := len(a)
	if x64, ok := any(x).([]float64); ok {
		copy(a, x64[base+roff[0]:base+roff[0]+w])
		for _, r := range roff[1:] {
			vmath.Add64s(a, a, x64[base+r:base+r+w])
		}
		return
	}
	clear(a)
	wv := 0
	if reduceAVX2 {
		wv = w &^ 3
	}
	if wv > 0 {
		x32 := any(x).([]float32)
		row := func(k int) *float32 { s := x32[base+roff[k] : base+roff[k]+w]; return &s[0] }
		k := 0
		for ; k+4 <= len(roff); k += 4 {
			widenAdd4AVX2(&a[0], row(k), row(k+1), row(k+2), row(k+3), wv)
		}
		for ; k < len(roff); k++ {
			widenAdd1AVX2(&a[0], row(k), wv)
		}
	}
	t := a[wv:]
	for _, r := range roff {
		v := x[base+r+wv : base+r+w]
		for j, e := range v {
			t[j] += float64(e)
		}
	}
}

// expSum is Σ e^(v-m): float32 by vmath's SIMD exp (the sum's relative
// error below 4e-6, typically 1e-7), float64 by math.Exp. scratch holds
// len(v) elements.
func expSum[T float](v []T, m T, scratch []T) float64 {
	if v32, ok := any(v).([]float32); ok {
		return float64(vmath.ExpShiftSum32(any(scratch).([]float32)[:len(v)], v32, float32(m)))
	}
	s := 0.0
	mf := float64(m)
	for _, x := range v {
		s += math.Exp(float64(x) - mf)
	}
	return s
}

// expAddRow adds e^(v[j]-m[j]) to a[j] (float32: SIMD, in scratch).
func expAddRow[T float](a []float64, v, m, scratch []T) {
	v, m = v[:len(a)], m[:len(a)]
	if v32, ok := any(v).([]float32); ok {
		d := any(scratch).([]float32)[:len(a)]
		vmath.Sub32s(d, v32, any(m).([]float32))
		vmath.Exp32s(d, d)
		for j, e := range d {
			a[j] += float64(e)
		}
		return
	}
	for j, x := range v {
		a[j] += math.Exp(float64(x) - float64(m[j]))
	}
}
