package cuda

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// solveStep solves batches of small systems in the generated kernel; larger
// systems have no device kernel yet.
func solveStep(n *graph.Node, op *nodes.SolveOp) (*step, error) {
	in := n.Inputs()
	sa, sb := in[0].Shape(), in[1].Shape()
	nb := op.NB
	sz, k := sa[nb], 1
	if len(sb) == nb+2 {
		k = sb[nb+1]
	}
	if sz > maxSolveN {
		return nil, noKernel(n, fmt.Sprintf("systems of %d > %d unknowns need cuBLAS's batched LU, not wired yet", sz, maxSolveN))
	}
	out := n.Shape()
	nsys := dense.Size(out[:nb])
	// Batch strides in elements, merged where A and B both walk two dims
	// as one (x is written contiguously).
	ast, bst := dense.Strides(sa), dense.Strides(sb)
	var shape, as, bs []int
	for j := 0; j < nb; j++ {
		d := out[j]
		if d == 1 {
			continue
		}
		a, b := 0, 0
		if sa[j] != 1 {
			a = ast[j]
		}
		if sb[j] != 1 {
			b = bst[j]
		}
		if l := len(shape) - 1; l >= 0 && as[l] == a*d && bs[l] == b*d {
			shape[l] *= d
			as[l], bs[l] = a, b
			continue
		}
		shape, as, bs = append(shape, d), append(as, a), append(bs, b)
	}
	sv := solve{dt: n.DType(), n: sz, nb: len(shape)}
	var src string
	if sz > 0 {
		var err error
		if src, err = sv.Source(); err != nil {
			return nil, noKernel(n, err.Error())
		}
	}
	s := &step{n: n, args: in, flags: []int64{noFailure}}
	if src != "" {
		s.srcs = []kernelSrc{{src, "solve"}}
	}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		x, err := r.e.newTensor(n.DType(), out)
		if err != nil || x.size() == 0 {
			return x, err
		}
		return x, r.launch(sv.launch(src, x.ptr(), in[0].ptr(), in[1].ptr(), r.flagAt(s.flag0), nsys, k, shape, as, bs, r.sms))
	}
	s.check = func(got []int64) error {
		if got[0] == noFailure {
			return nil
		}
		sys, code := int(got[0]/4), got[0]%4
		why := fmt.Errorf("%w", nodes.ErrSingular)
		if code == solveNotFinite {
			why = fmt.Errorf("matrix has a non-finite element")
		}
		if nb == 0 {
			return why
		}
		idx := make([]int, nb)
		for d := nb - 1; d >= 0; d-- {
			idx[d], sys = sys%out[d], sys/out[d]
		}
		return fmt.Errorf("system %v: %w", idx, why)
	}
	return s, nil
}

// invStep inverts batches of matrices (not yet on the device).
func invStep(n *graph.Node, op *nodes.InvOp) (*step, error) {
	return nil, noKernel(n, "")
}

// choleskyStep factors batches of matrices (not yet on the device).
func choleskyStep(n *graph.Node, op *nodes.CholeskyOp) (*step, error) {
	return nil, noKernel(n, "")
}
