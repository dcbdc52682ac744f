package cpu

import (
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// grain is the smallest block of elements worth handing to a worker.
const grain = 1 << 14

type float interface{ float32 | float64 }

// unary runs float unary ops in their own dtype (vmath's vector kernels,
// in parallel blocks); others use the reference.
func unary(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.Unary)
	x := dense.Contiguous(args[0])
	switch x.Dtype() {
	case tensor.Float32:
		out := reuse(donor, tensor.Float32, dense.Shape(x))
		mapSlice(out.Float32s(), x.Float32s(), func(d, s []float32) { vUnary(op.Kind, float32(op.C), d, s) })
		return out, true, nil
	case tensor.Float64:
		out := reuse(donor, tensor.Float64, dense.Shape(x))
		mapSlice(out.Float64s(), x.Float64s(), func(d, s []float64) { vUnary(op.Kind, op.C, d, s) })
		return out, true, nil
	}
	return nil, false, nil
}

func mapSlice[T float](dst, src []T, f func(dst, src []T)) {
	parallel.For(len(dst), grain, func(lo, hi int) { f(dst[lo:hi], src[lo:hi]) })
}

// binary runs float arithmetic on equal shapes, a scalar side, or (Bcast) a
// shorter operand repeated along the longer one's leading dims.
func binary(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.Binary)
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	if a.Dtype() != b.Dtype() {
		return nil, false, nil
	}
	if op.Kind == nodes.BinLess || op.Kind == nodes.BinGreater || op.Kind == nodes.BinEqual {
		out := tensor.New(tensor.Of(tensor.Bool), tensor.WithShape(n.Shape()...))
		if len(n.Shape()) == 0 {
			out = tensor.New(tensor.FromScalar(false))
		}
		switch a.Dtype() {
		case tensor.Float32:
			return out, compare(op.Kind, out.Bools(), a.Float32s(), b.Float32s()), nil
		case tensor.Float64:
			return out, compare(op.Kind, out.Bools(), a.Float64s(), b.Float64s()), nil
		}
		return nil, false, nil
	}
	switch a.Dtype() {
	case tensor.Float32:
		f := binaryFn[float32](op.Kind)
		if f == nil {
			return nil, false, nil
		}
		out := reuse(donor, tensor.Float32, n.Shape())
		broadcastApply(out.Float32s(), a.Float32s(), b.Float32s(), f)
		return out, true, nil
	case tensor.Float64:
		f := binaryFn[float64](op.Kind)
		if f == nil {
			return nil, false, nil
		}
		out := reuse(donor, tensor.Float64, n.Shape())
		broadcastApply(out.Float64s(), a.Float64s(), b.Float64s(), f)
		return out, true, nil
	}
	return nil, false, nil
}

// broadcastApply: the shorter operand's length divides the output's (equal,
// scalar, or a trailing block); f(dst, a, b, sa, sb) walks a block with steps
// 0 or 1 per operand.
func broadcastApply[T float](dst, a, b []T, f func(d, a, b []T, sa, sb int)) {
	n := len(dst)
	parallel.For(n, grain, func(lo, hi int) {
		for lo < hi {
			switch {
			case len(a) == n && len(b) == n:
				f(dst[lo:hi], a[lo:hi], b[lo:hi], 1, 1)
				lo = hi
			case len(a) == 1:
				end := blockEnd(lo, hi, len(b), n)
				f(dst[lo:end], a, b[lo%len(b):], 0, 1)
				lo = end
			case len(b) == 1:
				end := blockEnd(lo, hi, len(a), n)
				f(dst[lo:end], a[lo%len(a):], b, 1, 0)
				lo = end
			default:
				end := blockEnd(lo, hi, min(len(a), len(b)), n)
				f(dst[lo:end], a[lo%len(a):], b[lo%len(b):], 1, 1)
				lo = end
			}
		}
	})
}

// blockEnd is where the block starting at lo ends: at hi, or where the
// repeated operand (of length m) wraps around.
func blockEnd(lo, hi, m, n int) int {
	if m == n {
		return hi
	}
	return min(hi, (lo/m+1)*m)
}

func binaryFn[T float](k nodes.BinaryKind) func(d, a, b []T, sa, sb int) {
	var g func(x, y T) T
	switch k {
	case nodes.BinAdd:
		g = func(x, y T) T { return x + y }
	case nodes.BinSub:
		g = func(x, y T) T { return x - y }
	case nodes.BinMul:
		g = func(x, y T) T { return x * y }
	case nodes.BinDiv:
		g = func(x, y T) T { return x / y }
	case nodes.BinMaximum:
		g = func(x, y T) T { return T(math.Max(float64(x), float64(y))) }
	case nodes.BinMinimum:
		g = func(x, y T) T { return T(math.Min(float64(x), float64(y))) }
	case nodes.BinPow:
		g = func(x, y T) T { return T(math.Pow(float64(x), float64(y))) }
	default:
		return nil
	}
	return func(d, a, b []T, sa, sb int) {
		if sa == 1 && sb == 1 {
			for i := range d {
				d[i] = g(a[i], b[i])
			}
			return
		}
		for i := range d {
			d[i] = g(a[i*sa], b[i*sb])
		}
	}
}

// compare writes a < b, a > b or a == b, each side the full shape or a
// scalar; it reports false for other broadcasts (the reference runs them).
// The loops are branch-free: a random mask (a ReLU's gradient) would
// mispredict half the time.
func compare[T float](k nodes.BinaryKind, d []bool, a, b []T) bool {
	n := len(d)
	if (len(a) != n && len(a) != 1) || (len(b) != n && len(b) != 1) {
		return false
	}
	if k == nodes.BinLess { // a < b is b > a
		a, b, k = b, a, nodes.BinGreater
	}
	at := func(x []T, i int) T {
		if len(x) == 1 {
			return x[0]
		}
		return x[i]
	}
	parallel.For(n, grain, func(lo, hi int) {
		switch {
		case len(a) == n && len(b) == n && k == nodes.BinGreater:
			for i := lo; i < hi; i++ {
				d[i] = a[i] > b[i]
			}
		case len(b) == 1 && len(a) == n && k == nodes.BinGreater:
			c := b[0]
			for i := lo; i < hi; i++ {
				d[i] = a[i] > c
			}
		case k == nodes.BinGreater:
			for i := lo; i < hi; i++ {
				d[i] = at(a, i) > at(b, i)
			}
		default:
			for i := lo; i < hi; i++ {
				d[i] = at(a, i) == at(b, i)
			}
		}
	})
	return true
}
