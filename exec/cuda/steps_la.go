package cuda

import (
	"errors"
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// errNotFinite is why Solve and Inv reject a matrix holding NaN or ±Inf:
// elimination would silently return garbage.
var errNotFinite = errors.New("matrix has a non-finite element")

// laFail names matrix i of a batch of shape batch (row-major) as the
// reference does, "system [i j]: why"; a single matrix needs no name.
func laFail(batch []int, i int, why error) error {
	if len(batch) == 0 {
		return why
	}
	idx := make([]int, len(batch))
	for d := len(batch) - 1; d >= 0; d-- {
		idx[d], i = i%batch[d], i/batch[d]
	}
	return fmt.Errorf("system %v: %w", idx, why)
}

// luFlag is a Solve or Inv kernel's flag slot as an error: matrix
// got/4 of batch failed with code got%4.
func luFlag(batch []int, got int64) error {
	if got == noFailure {
		return nil
	}
	why := fmt.Errorf("%w", nodes.ErrSingular)
	if got%4 == solveNotFinite {
		why = errNotFinite
	}
	return laFail(batch, int(got/4), why)
}

// solveStep solves batches of systems: up to maxSolveN unknowns in the
// generated kernel, more through cuBLAS's batched LU (steps_lu.go).
func solveStep(n *graph.Node, op *nodes.SolveOp) (*step, error) {
	in := n.Inputs()
	sa, sb := in[0].Shape(), in[1].Shape()
	nb := op.NB
	sz, k := sa[nb], 1
	if len(sb) == nb+2 {
		k = sb[nb+1]
	}
	if sz > maxSolveN {
		return luSolveStep(n, op)
	}
	out := n.Shape()
	nsys := dense.Size(out[:nb])
	shape, as, bs := solveBatch(sa, sb, out, nb, dense.Strides(sa), dense.Strides(sb))
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
		x, err := r.out(n)
		if err != nil || x.size() == 0 {
			return x, err
		}
		return x, r.launch(sv.launch(src, x.ptr(), in[0].ptr(), in[1].ptr(), r.flagAt(s.flag0), nsys, k, shape, as, bs, r.sms))
	}
	s.check = func(got []int64) error { return luFlag(out[:nb], got[0]) }
	return s, nil
}

// solveBatch merges Solve's batch dims (out's first nb) into as few as walk
// A and B alike: their sizes, and A's and B's strides along them (from ast
// and bst, 0 where that side is shared). Size-1 dims are dropped.
func solveBatch(sa, sb, out []int, nb int, ast, bst []int) (shape, as, bs []int) {
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
	return shape, as, bs
}

// invStep inverts batches of matrices: up to maxSolveN in the generated
// kernel, larger through cuBLAS's batched LU.
func invStep(n *graph.Node, op *nodes.InvOp) (*step, error) {
	shape := n.Shape()
	nb, sz := op.NB, shape[op.NB]
	if sz > maxSolveN {
		return luInvStep(n, nb)
	}
	nmat := dense.Size(shape[:nb])
	v := inv{dt: n.DType(), n: sz}
	return squareStep(n, v, sz, func(r *run, src string, x, a, flag uint64) error {
		return r.launch(v.launch(src, x, a, flag, nmat, r.sms))
	}, func(got []int64) error { return luFlag(shape[:nb], got[0]) })
}

// choleskyStep factors batches of matrices: one thread per matrix up to
// maxSolveN, one block per matrix above.
func choleskyStep(n *graph.Node, op *nodes.CholeskyOp) (*step, error) {
	shape := n.Shape()
	nb, sz := op.NB, shape[op.NB]
	nmat := dense.Size(shape[:nb])
	check := func(got []int64) error {
		if got[0] == noFailure {
			return nil
		}
		why := fmt.Errorf("%w", nodes.ErrNotPositiveDefinite)
		if got[0]%4 == solveNotFinite {
			why = fmt.Errorf("%w: (A+Aᵀ)/2 has a non-finite element", nodes.ErrNotPositiveDefinite)
		}
		return laFail(shape[:nb], int(got[0]/4), why)
	}
	if sz <= maxSolveN {
		c := chol{dt: n.DType(), n: sz}
		return squareStep(n, c, sz, func(r *run, src string, x, a, flag uint64) error {
			return r.launch(c.launch(src, x, a, flag, nmat, r.sms))
		}, check)
	}
	c := cholBlock{dt: n.DType(), shared: cholBlockFits(sz)}
	return squareStep(n, c, sz, func(r *run, src string, x, a, flag uint64) error {
		grid := c.grid(nmat, sz, r.sms)
		var work *buffer
		if !c.shared {
			var err error
			if work, err = r.e.alloc(int64(8 * grid * (sz * (sz + 1) / 2))); err != nil {
				return err
			}
			defer r.e.release(work) // the stream orders any reuse after the kernel
		}
		wp := uint64(0)
		if work != nil {
			wp = work.ptr
		}
		return r.launch(c.launch(src, x, a, flag, wp, nmat, sz, grid))
	}, check)
}

// squareStep runs one kernel (its source from k) over the stack of n×n
// matrices that is n's one operand, into a value of n's shape, with
// failures in one flag slot.
func squareStep(n *graph.Node, k interface{ Source() (string, error) }, sz int,
	body func(r *run, src string, x, a, flag uint64) error, check func(got []int64) error) (*step, error) {
	s := &step{n: n, args: n.Inputs(), flags: []int64{noFailure}, check: check}
	var src string
	if sz > 0 {
		var err error
		if src, err = k.Source(); err != nil {
			return nil, noKernel(n, err.Error())
		}
		s.srcs = []kernelSrc{{src, kernelName(src)}}
	}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		x, err := r.out(n)
		if err != nil || x.size() == 0 {
			return x, err
		}
		return x, body(r, src, x.ptr(), in[0].ptr(), r.flagAt(s.flag0))
	}
	return s, nil
}
