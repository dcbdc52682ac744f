package cpu

import (
	"math"

	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// A reduction tail folds each chunk of values into per-output accumulators
// as soon as it is computed, so the values are never written to memory.
// Sums and means accumulate in float64 (as the reference does); log-sum-exp
// keeps a running (max, sum of exp(x - max)) pair per output, merged chunk
// by chunk, so it reads its input once.

// acc holds the accumulators of a range of outputs.
type acc[T float] struct {
	kind nodes.ReduceKind
	s    []float64 // Sum, Mean: the sum; LogSumExp: Σ e^(x-m)
	m    []float64 // LogSumExp: the max so far (-Inf: none; +Inf, then NaN, stick)
	ext  []T       // Max, Min
}

func newAcc[T float](kind nodes.ReduceKind, n int) *acc[T] {
	a := &acc[T]{kind: kind}
	switch kind {
	case nodes.RedMax, nodes.RedMin:
		a.ext = make([]T, n)
		v := T(math.Inf(-1))
		if kind == nodes.RedMin {
			v = T(math.Inf(1))
		}
		for i := range a.ext {
			a.ext[i] = v
		}
	case nodes.RedLogSumExp:
		a.s, a.m = make([]float64, n), make([]float64, n)
		for i := range a.m {
			a.m[i] = math.Inf(-1)
		}
	default:
		a.s = make([]float64, n)
	}
	return a
}

// row folds a contiguous run of values into output o.
func (a *acc[T]) row(o int, v []T, scratch []T) {
	switch a.kind {
	case nodes.RedMax:
		a.ext[o] = fmax(a.ext[o], maxOf(v))
	case nodes.RedMin:
		m := a.ext[o]
		for _, x := range v {
			m = fmin(m, x)
		}
		a.ext[o] = m
	case nodes.RedLogSumExp:
		mr := float64(maxOf(v))
		if math.IsInf(mr, 0) || mr != mr {
			a.lse(o, mr, 0)
			return
		}
		a.lse(o, mr, expShiftSum(scratch[:len(v)], v, T(mr)))
	default:
		a.s[o] += sumRun(v)
	}
}

// lse merges a part with max mr and Σ e^(x-mr) = sr into output o.
func (a *acc[T]) lse(o int, mr, sr float64) {
	m := a.m[o]
	switch { // as the reference's max: +Inf beats NaN, NaN beats the rest
	case math.IsInf(m, 1):
	case math.IsInf(mr, 1):
		a.m[o] = mr
	case m != m:
	case mr != mr:
		a.m[o] = mr
	case math.IsInf(mr, -1): // every value -Inf: adds nothing
	case math.IsInf(m, -1):
		a.m[o], a.s[o] = mr, sr
	case mr > m:
		a.m[o], a.s[o] = mr, a.s[o]*math.Exp(m-mr)+sr
	default:
		a.s[o] += sr * math.Exp(mr-m)
	}
}

// cols folds values v into outputs o, o+1, ... (one value each).
func (a *acc[T]) cols(o int, v []T) {
	switch a.kind {
	case nodes.RedMax:
		e := a.ext[o : o+len(v)]
		for i, x := range v {
			e[i] = fmax(e[i], x)
		}
	case nodes.RedMin:
		e := a.ext[o : o+len(v)]
		for i, x := range v {
			e[i] = fmin(e[i], x)
		}
	case nodes.RedLogSumExp:
		for i, x := range v {
			a.lse(o+i, float64(x), 1)
		}
	default:
		s := a.s[o : o+len(v)]
		for i, x := range v {
			s[i] += float64(x)
		}
	}
}

// merge folds b (the same outputs, a later part of the reduced range) into a.
func (a *acc[T]) merge(b *acc[T]) {
	switch a.kind {
	case nodes.RedMax:
		for i, x := range b.ext {
			a.ext[i] = fmax(a.ext[i], x)
		}
	case nodes.RedMin:
		for i, x := range b.ext {
			a.ext[i] = fmin(a.ext[i], x)
		}
	case nodes.RedLogSumExp:
		for i := range b.m {
			a.lse(i, b.m[i], b.s[i])
		}
	default:
		for i, x := range b.s {
			a.s[i] += x
		}
	}
}

// write stores the finished outputs, each the reduction of count values.
func (a *acc[T]) write(out []T, count int) {
	for i := range out {
		switch a.kind {
		case nodes.RedMax, nodes.RedMin:
			out[i] = a.ext[i]
		case nodes.RedMean:
			out[i] = T(a.s[i] / float64(count))
		case nodes.RedLogSumExp:
			if m := a.m[i]; math.IsInf(m, 0) || m != m {
				out[i] = T(m)
			} else {
				out[i] = T(m + math.Log(a.s[i]))
			}
		default:
			out[i] = T(a.s[i])
		}
	}
}

// reduce runs the expression with its reduction tail. It handles the
// layouts lowering produces — reduced dims last (rows), or between kept
// ones (columns, possibly batched) — and reports false for any other, which
// then takes the reference rule.
func (p *fprog[T]) reduce(r *frun[T]) bool {
	outer, red, inner, ok := reduceLayout(p.shape, p.tail.Axes)
	if !ok {
		return false
	}
	if inner == 1 {
		p.reduceRows(r, outer, red)
	} else {
		p.reduceCols(r, outer, red, inner)
	}
	return true
}

// reduceLayout views shape as [outer, red, inner] with the reduced dims
// (size-1 dims aside) all in the middle.
func reduceLayout(shape, axes []int) (outer, red, inner int, ok bool) {
	isRed := make([]bool, len(shape))
	for _, a := range axes {
		isRed[a] = true
	}
	outer, red, inner = 1, 1, 1
	phase := 0 // 0: before the reduced dims, 1: in them, 2: after
	for d, n := range shape {
		switch {
		case n == 1:
			continue
		case isRed[d] && phase <= 1:
			phase = 1
			red *= n
		case isRed[d]:
			return 0, 0, 0, false
		case phase == 0:
			outer *= n
		default:
			phase = 2
			inner *= n
		}
	}
	for _, a := range axes {
		if shape[a] == 0 {
			red = 0
		}
	}
	for d, n := range shape {
		if n == 0 && !isRed[d] {
			return 0, 0, 0, false // no outputs: the reference rule is as quick
		}
	}
	return outer, red, inner, true
}

// reduceRows: each output reduces red consecutive values. Workers take
// whole outputs when there are enough, else parts of every output's range
// with their own accumulators, merged in order.
func (p *fprog[T]) reduceRows(r *frun[T], outer, red int) {
	sink := func(a *acc[T], scratch []T) func(at int, v []T) {
		return func(at int, v []T) {
			for len(v) > 0 {
				o := at / red
				k := min(len(v), (o+1)*red-at)
				a.row(o, v[:k], scratch)
				v, at = v[k:], at+k
			}
		}
	}
	w := min(parallel.Workers(), red/grain)
	if outer >= parallel.Workers() || w < 2 {
		a := newAcc[T](p.tail.Reduce, outer)
		parallel.For(outer, max(1, grain/max(red, 1)), func(lo, hi int) {
			bp, bufs := p.tempBuf()
			p.evalRange(r, lo*red, hi*red, bufs, sink(a, make([]T, p.chunk)))
			p.putTemp(bp)
		})
		a.write(r.out, red)
		return
	}
	parts := make([]*acc[T], w)
	parallel.For(w, 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			a := newAcc[T](p.tail.Reduce, outer)
			bp, bufs := p.tempBuf()
			f := sink(a, make([]T, p.chunk))
			i0, i1 := k*red/w, (k+1)*red/w
			for o := 0; o < outer; o++ {
				p.evalRange(r, o*red+i0, o*red+i1, bufs, f)
			}
			p.putTemp(bp)
			parts[k] = a
		}
	})
	for _, b := range parts[1:] {
		parts[0].merge(b)
	}
	parts[0].write(r.out, red)
}

// reduceCols: output (o, j) reduces the values (o, i, j) over i. Workers
// take whole outer indices when there are enough, else parts of the
// reduced range with their own accumulators, merged in order.
func (p *fprog[T]) reduceCols(r *frun[T], outer, red, inner int) {
	span := red * inner
	sink := func(a *acc[T], base int) func(at int, v []T) {
		return func(at int, v []T) {
			for len(v) > 0 {
				j := at % inner
				k := min(len(v), inner-j)
				a.cols(base+(at/span)*inner+j, v[:k])
				v, at = v[k:], at+k
			}
		}
	}
	if outer >= parallel.Workers() || red < 2 {
		a := newAcc[T](p.tail.Reduce, outer*inner)
		parallel.For(outer, 1, func(lo, hi int) {
			bp, bufs := p.tempBuf()
			p.evalRange(r, lo*span, hi*span, bufs, sink(a, 0))
			p.putTemp(bp)
		})
		a.write(r.out, red)
		return
	}
	w := min(parallel.Workers(), red)
	parts := make([]*acc[T], w)
	parallel.For(w, 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			a := newAcc[T](p.tail.Reduce, outer*inner)
			bp, bufs := p.tempBuf()
			i0, i1 := k*red/w, (k+1)*red/w
			for o := 0; o < outer; o++ {
				// sink's index arithmetic is relative to outer index o.
				p.evalRange(r, o*span+i0*inner, o*span+i1*inner, bufs, sink(a, 0))
			}
			p.putTemp(bp)
			parts[k] = a
		}
	})
	for _, b := range parts[1:] {
		parts[0].merge(b)
	}
	parts[0].write(r.out, red)
}

// maxOf is the largest element as the reference's math.Max fold finds it:
// +Inf if any is +Inf, else NaN if any is NaN.
func maxOf[T float](v []T) T {
	m := T(math.Inf(-1))
	nan := false
	for _, x := range v {
		if x > m {
			m = x
		} else if x != x {
			nan = true
		}
	}
	if nan && !math.IsInf(float64(m), 1) {
		return T(math.NaN())
	}
	return m
}
