package cuda

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// reduceStep reduces the axes of a Reduce (all dims when Axes is nil).
func reduceStep(n *graph.Node, op *nodes.Reduce) (*step, error) {
	x := n.Inputs()[0]
	axes := op.Axes
	if axes == nil {
		axes = make([]int, x.Rank())
		for d := range axes {
			axes[d] = d
		}
	}
	r := planReduce(op.Kind, x.DType(), x.Shape(), axes)
	if len(r.kept) > maxRank || len(r.red) > maxRank {
		return nil, noKernel(n, "too many dims")
	}
	src, err := r.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	name := "reduce_any"
	if r.rows {
		name = "reduce_rows"
	}
	return &step{n: n, args: []*graph.Node{x}, srcs: []kernelSrc{{src, name}}, exec: func(ru *run, in []*Tensor) (*Tensor, error) {
		out, err := ru.e.newTensor(n.DType(), n.Shape())
		if err != nil || out.size() == 0 {
			return out, err
		}
		return out, ru.launch(r.launch(src, out.ptr(), in[0].ptr(), ru.sms))
	}}, nil
}

// softmaxStep is a (log-)softmax along its axis.
func softmaxStep(n *graph.Node, op *nodes.SoftmaxOp) (*step, error) {
	x := n.Inputs()[0]
	axis := 0
	if op.Batched {
		axis = op.Axis
	}
	s := planSoftmax(x.DType(), op.Log, x.Shape(), axis)
	src, err := s.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	name := "softmax_lines"
	if s.rows() {
		name = "softmax_rows"
	}
	return &step{n: n, args: []*graph.Node{x}, srcs: []kernelSrc{{src, name}}, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.e.newTensor(n.DType(), n.Shape())
		if err != nil || out.size() == 0 {
			return out, err
		}
		return out, r.launch(s.launch(src, out.ptr(), in[0].ptr(), r.sms))
	}}, nil
}

// copies lists the strided copies that make n from its operands: one for
// a transpose, broadcast or selection, one per piece of a concat or stack.
func copies(n *graph.Node) ([]strideCopy, error) {
	in := n.Inputs()
	es := elemBytes(n.DType())
	out := n.Shape()
	ost := dense.Strides(out)
	switch op := n.Op().(type) {
	case *nodes.TransposeOp:
		ist := dense.Strides(in[0].Shape())
		c := strideCopy{esize: es, shape: out, ds: ost, ss: make([]int, len(out))}
		for k, p := range op.Perm {
			c.ss[k] = ist[p]
		}
		return []strideCopy{c}, nil
	case *nodes.BroadcastOp:
		ist := dense.Strides(in[0].Shape())
		c := strideCopy{esize: es, shape: out, ds: ost, ss: make([]int, len(out))}
		for k, d := range op.Dims {
			c.ss[d] = ist[k]
		}
		return []strideCopy{c}, nil
	case *graph.Select:
		ist := dense.Strides(in[0].Shape())
		c := strideCopy{esize: es, shape: out, ds: ost}
		for k, s := range op.Sels {
			switch {
			case s.Keep:
				c.ss = append(c.ss, ist[k])
			case s.Drop:
				c.soff += s.I * ist[k]
			default:
				c.ss = append(c.ss, s.S.Step*ist[k])
				c.soff += s.S.Lo * ist[k]
			}
		}
		return []strideCopy{c}, nil
	case *nodes.ConcatOp:
		var cs []strideCopy
		at := 0
		for _, x := range in {
			s := x.Shape()
			cs = append(cs, strideCopy{esize: es, shape: s, ss: dense.Strides(s), ds: ost, doff: at * ost[op.Axis]})
			at += s[op.Axis]
		}
		return cs, nil
	case *nodes.StackOp:
		ds := append(append([]int(nil), ost[:op.Axis]...), ost[op.Axis+1:]...)
		var cs []strideCopy
		for k, x := range in {
			s := x.Shape()
			cs = append(cs, strideCopy{esize: es, shape: s, ss: dense.Strides(s), ds: ds, doff: k * ost[op.Axis]})
		}
		return cs, nil
	}
	return nil, fmt.Errorf("not a layout op")
}

// copyStep is a layout change: one strided copy per operand.
func copyStep(n *graph.Node) (*step, error) {
	cs, err := copies(n)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	srcs := make([]string, len(cs))
	var ks []kernelSrc
	for k := range cs {
		cs[k] = cs[k].merged()
		if srcs[k], err = cs[k].Source(); err != nil {
			return nil, noKernel(n, err.Error())
		}
		ks = append(ks, kernelSrc{srcs[k], "copy"})
	}
	return &step{n: n, args: n.Inputs(), srcs: ks, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.e.newTensor(n.DType(), n.Shape())
		if err != nil || out.size() == 0 {
			return out, err
		}
		for k, c := range cs {
			if in[k].size() == 0 {
				continue
			}
			if err := r.launch(c.launch(srcs[k], out.ptr(), in[k].ptr(), r.sms)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}}, nil
}

// gatherStep indexes one dim by an int64 scalar held on the device.
func gatherStep(n *graph.Node, op *graph.Gather) (*step, error) {
	x := n.Inputs()[0]
	xs := x.Shape()
	g := gather{esize: elemBytes(x.DType()), outer: dense.Size(xs[:op.Dim]), d: xs[op.Dim], inner: dense.Size(xs[op.Dim+1:])}
	src, _ := g.Source()
	s := &step{n: n, args: n.Inputs(), srcs: []kernelSrc{{src, "gather"}}, flags: []int64{0, 0}}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.e.newTensor(n.DType(), n.Shape())
		if err != nil {
			return nil, err
		}
		// Launched even for an empty result: the index is checked anyway.
		return out, r.launch(g.launch(src, out.ptr(), in[0].ptr(), in[1].ptr(), r.flagAt(s.flag0), r.sms))
	}
	s.check = func(got []int64) error {
		if got[0] == 0 {
			return nil
		}
		return &graph.IndexError{Index: got[1], Size: g.d, Dim: op.Dim}
	}
	return s, nil
}

// takeStep is the batched gather (graph.TakeOp) in linear form.
func takeStep(n *graph.Node, op *graph.TakeOp) (*step, error) {
	x, ix := n.Inputs()[0], n.Inputs()[1]
	xs, is := x.Shape(), ix.Shape()
	p := len(op.Pairs)
	ni := len(is) - p
	xst, ist := dense.Strides(xs), dense.Strides(is)
	t := take{esize: elemBytes(x.DType()), shape: n.Shape(), xst: xst[op.Dim], size: xs[op.Dim]}
	r := len(t.shape)
	if r > maxRank {
		return nil, noKernel(n, "too many dims")
	}
	t.xc, t.ic = make([]int, r), make([]int, r)
	for j := 0; j < r; j++ {
		switch {
		case j < op.Dim:
			t.xc[j] = xst[j]
		case j < op.Dim+ni:
			t.ic[j] = ist[p+j-op.Dim]
		default:
			t.xc[j] = xst[j-ni+1]
		}
	}
	for k, d := range op.Pairs {
		if d > op.Dim {
			d += ni - 1
		}
		t.ic[d] += ist[k]
	}
	src, err := t.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	s := &step{n: n, args: n.Inputs(), srcs: []kernelSrc{{src, "take"}}, flags: []int64{0, 0}}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.e.newTensor(n.DType(), n.Shape())
		if err != nil || out.size() == 0 {
			return out, err
		}
		return out, r.launch(t.launch(src, out.ptr(), in[0].ptr(), in[1].ptr(), r.flagAt(s.flag0), r.sms))
	}
	s.check = func(got []int64) error {
		if got[0] == 0 {
			return nil
		}
		return &graph.IndexError{Index: got[1], Size: t.size, Dim: op.Dim}
	}
	return s, nil
}
