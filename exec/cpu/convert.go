package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// cast converts between float32 and float64 (the reference goes through a
// float64 copy of the whole operand); other conversions, with their
// truncation and bool rules, stay with the reference.
func cast(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	to := n.Op().(*nodes.CastOp).To
	x := dense.Contiguous(args[0])
	shape := dense.Shape(x)
	switch {
	case x.Dtype() == tensor.Float32 && to == tensor.Float64:
		out := dense.Zeros(to, shape)
		convert(out.Float64s(), x.Float32s())
		return out, true, nil
	case x.Dtype() == tensor.Float64 && to == tensor.Float32:
		out := dense.Zeros(to, shape)
		convert(out.Float32s(), x.Float64s())
		return out, true, nil
	}
	return nil, false, nil
}

func convert[D, S float](d []D, s []S) {
	s = s[:len(d)]
	parallel.For(len(d), copyMinBytes/4, func(lo, hi int) {
		dd, ss := d[lo:hi], s[lo:hi]
		ss = ss[:len(dd)]
		for i, v := range ss {
			dd[i] = D(v)
		}
	})
}

// outer is a ⊗ b as one rank-1 GEMM (m×1 · 1×n).
func outer(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	if a.Dtype() != b.Dtype() || len(a.Shape()) != 1 || len(b.Shape()) != 1 {
		return nil, false, nil
	}
	m, nn := a.Size(), b.Size()
	c := dense.Zeros(a.Dtype(), []int{m, nn})
	if m == 0 || nn == 0 {
		return c, true, nil
	}
	return c, gemmAt(a, b, c, false, false, 1, m, nn, 1, 0, 0, 0, 0, 0, 0, 1), nil
}
