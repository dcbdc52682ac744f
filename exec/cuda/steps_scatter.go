package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// planScatter lays a Scatter out for the kernels (see scatter): the
// table's dims with the value's and the group number's strides along
// them, merged where both walk two neighbours as one.
func planScatter(op *graph.Scatter, dt tensor.Dtype, xs, vs, is []int) scatter {
	p := len(op.Pairs)
	ni := len(is) - p
	vst, pst := dense.Strides(vs), dense.Strides(is[:p])
	r := len(xs)
	vc, gc := make([]int, r), make([]int, r)
	for d := range xs {
		switch {
		case d < op.Dim:
			vc[d] = vst[d]
		case d > op.Dim:
			vc[d] = vst[d+ni-1]
		}
	}
	for k, d := range op.Pairs {
		gc[d] = pst[k]
	}
	s := scatter{dt: dt, size: op.Size, isz: dense.Size(is[p:]), vj: dense.Size(xs[op.Dim+1:])}
	row := -1 // the row dim's place among the merged dims
	for d, n := range xs {
		if d == op.Dim {
			row = len(s.shape)
			s.shape, s.vc, s.gc, s.rc = append(s.shape, n), append(s.vc, 0), append(s.gc, 0), append(s.rc, 1)
			continue
		}
		if n == 1 {
			continue
		}
		if l := len(s.shape) - 1; l >= 0 && l != row && s.vc[l] == vc[d]*n && s.gc[l] == gc[d]*n {
			s.shape[l] *= n
			s.vc[l], s.gc[l] = vc[d], gc[d]
			continue
		}
		s.shape, s.vc, s.gc, s.rc = append(s.shape, n), append(s.vc, vc[d]), append(s.gc, gc[d]), append(s.rc, 0)
	}
	return s
}

// scatterStep adds slices of a value into a zero table at int64 rows,
// deterministically: one thread per table element adds its row's slices
// in index order, found by a counting sort of the index, or directly
// where each group has a few entries (gen_scatter.go).
// A row out of range is a graph.IndexError naming the first such entry.
func scatterStep(n *graph.Node, op *graph.Scatter) (*step, error) {
	v, ix := n.Inputs()[0], n.Inputs()[1]
	is := ix.Shape()
	sc := planScatter(op, n.DType(), n.Shape(), v.Shape(), is)
	src, err := sc.addSource()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	groups := dense.Size(is[:len(op.Pairs)])
	entries, keys := groups*sc.isz, groups*op.Size
	s := &step{n: n, args: n.Inputs(), flags: []int64{noFailure, 0},
		srcs: []kernelSrc{{src, "scatter_add"}, {scatterBad, "scatter_bad"}}}
	if !sc.direct() {
		s.srcs = append(s.srcs, kernelSrc{scatterCount, "scatter_count"}, kernelSrc{scatterScan, "scatter_scan"},
			kernelSrc{scatterFill, "scatter_fill"}, kernelSrc{scatterRank, "scatter_rank"})
	}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		if in[0].size() == 0 { // no slices: the reference checks no index either
			return out, zeros(r, out)
		}
		fail := func(err error) (*Tensor, error) {
			r.e.release(out.buf)
			return nil, err
		}
		idx, flag := in[1].ptr(), r.flagAt(s.flag0)
		if sc.direct() {
			err := r.launch(sc.add(src, out.ptr(), in[0].ptr(), idx, flag, 0, 0, out.size(), r.sms))
			if err == nil {
				err = r.launch(sc.bad(idx, flag))
			}
			if err != nil {
				return fail(err)
			}
			return out, nil
		}
		var scratch []*Tensor
		defer func() {
			for _, t := range scratch {
				r.e.release(t.buf)
			}
		}()
		tmp := func(k int) (*Tensor, error) {
			t, err := r.e.newTensor(tensor.Int64, []int{k})
			if err == nil {
				scratch = append(scratch, t)
			}
			return t, err
		}
		cnt, err := tmp(keys)
		if err != nil {
			return fail(err)
		}
		perm, err := tmp(entries)
		if err != nil {
			return fail(err)
		}
		sorted, err := tmp(entries)
		if err != nil {
			return fail(err)
		}
		for _, k := range []func() error{
			func() error { return zeros(r, cnt) },
			func() error { return r.launch(sc.count(idx, cnt.ptr(), flag, entries, r.sms)) },
			func() error { return r.launch(sc.bad(idx, flag)) },
			func() error { return r.launch(sc.scan(cnt.ptr(), keys)) },
			func() error { return r.launch(sc.fill(idx, cnt.ptr(), perm.ptr(), entries, r.sms)) },
			func() error { return r.launch(sc.rank(idx, cnt.ptr(), perm.ptr(), sorted.ptr(), entries, r.sms)) },
			func() error {
				return r.launch(sc.add(src, out.ptr(), in[0].ptr(), idx, flag, cnt.ptr(), sorted.ptr(), out.size(), r.sms))
			},
		} {
			if err := k(); err != nil {
				return fail(err)
			}
		}
		return out, nil
	}
	s.check = func(got []int64) error {
		if got[0] == noFailure {
			return nil
		}
		return &graph.IndexError{Index: got[1], Size: op.Size, Dim: op.Dim}
	}
	return s, nil
}

// unselectStep places a selection back into zeros: a zero fill, then the
// strided copy Select's own step would run, reversed.
func unselectStep(n *graph.Node, op *graph.Unselect) (*step, error) {
	x := n.Inputs()[0]
	if !supportedDtype(x.DType()) {
		return nil, noKernel(n, fmt.Sprintf("dtype %v", x.DType()))
	}
	xs := x.Shape()
	c := strideCopy{esize: elemBytes(x.DType()), shape: xs, ss: dense.Strides(xs)}
	c.ds, c.doff = selected(op.Sels, dense.Strides(n.Shape()))
	if len(c.ds) != len(xs) {
		return nil, noKernel(n, fmt.Sprintf("selection %v does not match %v", op.Sels, xs))
	}
	c = c.merged()
	src, err := c.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: n.Inputs(), srcs: []kernelSrc{{src, "copy"}}, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		if err := zeros(r, out); err != nil {
			r.e.release(out.buf)
			return nil, err
		}
		if in[0].size() > 0 {
			if err := r.launch(c.launch(src, out.ptr(), in[0].ptr(), r.sms)); err != nil {
				r.e.release(out.buf)
				return nil, err
			}
		}
		return out, nil
	}}, nil
}

// planEinsum orders the letters as the reference does — the output's,
// then the rest by first appearance — and gives each operand its strides
// per letter.
func planEinsum(op *nodes.EinsumOp, dt tensor.Dtype, shapes [][]int) (einsum, error) {
	if len(shapes) != len(op.Inputs) {
		return einsum{}, fmt.Errorf("spec %q has %d operands, got %d", op.Spec, len(op.Inputs), len(shapes))
	}
	size := map[byte]int{}
	summed := []byte{}
	for k, term := range op.Inputs {
		if len(term) != len(shapes[k]) {
			return einsum{}, fmt.Errorf("operand %d: term %q for shape %v", k, term, shapes[k])
		}
		for d := 0; d < len(term); d++ {
			c := term[d]
			if _, ok := size[c]; !ok {
				size[c] = shapes[k][d]
				if strings.IndexByte(op.Output, c) < 0 {
					summed = append(summed, c)
				}
			}
		}
	}
	e := einsum{dt: dt, ops: len(shapes), ost: make([][]int, len(shapes)), sst: make([][]int, len(shapes))}
	for _, c := range []byte(op.Output) {
		e.oshape = append(e.oshape, size[c])
	}
	for _, c := range summed {
		e.sshape = append(e.sshape, size[c])
	}
	for k, term := range op.Inputs {
		st := dense.Strides(shapes[k])
		e.ost[k], e.sst[k] = make([]int, len(e.oshape)), make([]int, len(e.sshape))
		for d := 0; d < len(term); d++ {
			c := term[d]
			if j := strings.IndexByte(op.Output, c); j >= 0 {
				e.ost[k][j] += st[d]
			} else {
				e.sst[k][strings.IndexByte(string(summed), c)] += st[d]
			}
		}
	}
	return e, nil
}

// einsumStep is a contraction the optimizer did not turn into GEMMs: the
// general kernel, one thread per output element (gen_einsum.go).
func einsumStep(n *graph.Node, op *nodes.EinsumOp) (*step, error) {
	in := n.Inputs()
	shapes := make([][]int, len(in))
	for k, x := range in {
		shapes[k] = x.Shape()
	}
	e, err := planEinsum(op, n.DType(), shapes)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	src, err := e.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: in, srcs: []kernelSrc{{src, "einsum"}}, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		if err := r.launch(e.launch(src, out.ptr(), ptrsOf(in), r.sms)); err != nil {
			r.e.release(out.buf)
			return nil, err
		}
		return out, nil
	}}, nil
}
