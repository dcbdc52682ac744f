package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/linalg"
	"github.com/loomtensor/loom/nodes"
)

// solve runs Solve over its batch dims with the batched kernels (unrolled for
// small systems). A right-hand side shared by every system is repeated; other
// mixed broadcasting uses the reference rule.
func solve(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.SolveOp)
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	sa, sb := dense.Shape(a), dense.Shape(b)
	nb := op.NB
	sz := sa[nb]
	k := 1
	if len(sb) == nb+2 {
		k = sb[nb+1]
	}
	batch := dense.Size(n.Shape()[:nb])
	if dense.Size(sa[:nb]) != batch {
		return nil, false, nil
	}
	if dense.Size(sb[:nb]) != batch {
		if dense.Size(sb[:nb]) != 1 {
			return nil, false, nil
		}
		b = repeat(b, batch)
	}
	out := dense.Zeros(a.Dtype(), n.Shape())
	var err error
	switch a.Dtype() {
	case tensor.Float32:
		err = linalg.Solve(a.Float32s(), b.Float32s(), out.Float32s(), sz, k, batch)
	case tensor.Float64:
		err = linalg.Solve(a.Float64s(), b.Float64s(), out.Float64s(), sz, k, batch)
	default:
		return nil, false, nil
	}
	return out, true, err
}

// square runs Inv or Cholesky over the batch dims.
func square(f32 func(a, out []float32, n, batch int) error, f64 func(a, out []float64, n, batch int) error) kernel {
	return func(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
		a := dense.Contiguous(args[0])
		s := dense.Shape(a)
		sz := s[len(s)-1]
		batch := dense.Size(s[:len(s)-2])
		out := dense.Zeros(a.Dtype(), s)
		var err error
		switch a.Dtype() {
		case tensor.Float32:
			err = f32(a.Float32s(), out.Float32s(), sz, batch)
		case tensor.Float64:
			err = f64(a.Float64s(), out.Float64s(), sz, batch)
		default:
			return nil, false, nil
		}
		return out, true, err
	}
}

// repeat stacks count copies of x's data (x's batch dims are all 1).
func repeat(x *tensor.Dense, count int) *tensor.Dense {
	s := dense.Shape(x)
	out := dense.Zeros(x.Dtype(), append([]int{count}, s...))
	for i := 0; i < count; i++ {
		dense.CopyElems(out, i*x.Size(), x, 0, x.Size())
	}
	return out
}
