package cuda

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// kernel computes a node's value from its operands' buffers in one
// launch: an Expr, a reduction or a softmax (each reading through an Expr).
type kernel interface {
	Source() (string, error)
	launch(src string, out uint64, ptrs []uint64, sms int) launch
}

// kernelStep runs k on the buffers of args into a new value of n's type.
func kernelStep(n *graph.Node, k kernel, args []*graph.Node) (*step, error) {
	src, err := k.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: args, srcs: []kernelSrc{{src, kernelName(src)}}, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		return out, r.launch(k.launch(src, out.ptr(), ptrsOf(in), r.sms))
	}}, nil
}

func ptrsOf(ts []*Tensor) []uint64 {
	ptrs := make([]uint64, len(ts))
	for k, t := range ts {
		ptrs[k] = t.ptr()
	}
	return ptrs
}

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
	if x.Rank() > maxRank {
		return nil, noKernel(n, "too many dims")
	}
	return kernelStep(n, planReduce(op.Kind, plainInput(x.DType(), x.Shape()), axes), []*graph.Node{x})
}

// softmaxStep is a (log-)softmax along its axis.
func softmaxStep(n *graph.Node, op *nodes.SoftmaxOp) (*step, error) {
	x := n.Inputs()[0]
	axis := 0
	if op.Batched {
		axis = op.Axis
	}
	if x.Rank() > maxRank {
		return nil, noKernel(n, "too many dims")
	}
	return kernelStep(n, planSoftmax(plainInput(x.DType(), x.Shape()), op.Log, axis), []*graph.Node{x})
}

// exprFrom converts the optimizer's fused expression (nodes.Expr) to the
// generator's: each operand's Dims become its strides over the shape.
func exprFrom(x nodes.Expr) (*Expr, error) {
	if len(x.Shape) > maxRank {
		return nil, fmt.Errorf("rank %d exceeds %d", len(x.Shape), maxRank)
	}
	e := &Expr{Shape: x.Shape}
	for k, in := range x.Inputs {
		if len(in.Dims) != len(in.Shape) {
			return nil, fmt.Errorf("operand %d: %d dims placed for shape %v", k, len(in.Dims), in.Shape)
		}
		st := make([]int, len(x.Shape))
		ist := dense.Strides(in.Shape)
		for j, d := range in.Dims {
			if d < 0 || d >= len(st) {
				return nil, fmt.Errorf("operand %d: dim %d outside the shape %v", k, d, x.Shape)
			}
			if in.Shape[j] != 1 {
				st[d] = ist[j]
			}
		}
		e.In = append(e.In, Operand{DType: in.DType, Stride: st})
	}
	kinds := map[nodes.InstrKind]InstrKind{nodes.ILoad: ILoad, nodes.IConst: IConst, nodes.IUnary: IUnary,
		nodes.IBinary: IBinary, nodes.IWhere: IWhere, nodes.ICast: ICast}
	for k, ins := range x.Code {
		kind, ok := kinds[ins.Kind]
		if !ok {
			return nil, fmt.Errorf("instruction %d: unknown kind %d", k, ins.Kind)
		}
		e.Code = append(e.Code, Instr{Kind: kind, In: ins.Input, Un: ins.Unary, Bin: ins.Binary, C: ins.C,
			Args: append([]int(nil), ins.Args...), DType: ins.DType})
	}
	return e, e.Check()
}

// fusedKernel is the kernel of a fused op: its expression, then its tail.
func fusedKernel(op *nodes.FusedOp) (kernel, error) {
	e, err := exprFrom(op.Expr)
	if err != nil {
		return nil, err
	}
	switch op.Tail.Kind {
	case nodes.TailNone:
		return e, nil
	case nodes.TailReduce:
		r := planReduce(op.Tail.Reduce, e, op.Tail.Axes)
		if len(r.kept) > maxRank || len(r.red) > maxRank {
			return nil, fmt.Errorf("too many dims")
		}
		return r, nil
	case nodes.TailSoftmax:
		if op.Tail.Axis < 0 || op.Tail.Axis >= len(e.Shape) {
			return nil, fmt.Errorf("softmax axis %d of %v", op.Tail.Axis, e.Shape)
		}
		return planSoftmax(e, op.Tail.Log, op.Tail.Axis), nil
	}
	return nil, fmt.Errorf("unknown tail %d", op.Tail.Kind)
}

// fusedStep runs a nodes.FusedOp as one kernel: elementwise code with its
// reduction or softmax tail reading the code's values directly.
func fusedStep(n *graph.Node, op *nodes.FusedOp) (*step, error) {
	k, err := fusedKernel(op)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return kernelStep(n, k, n.Inputs())
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
		c := strideCopy{esize: es, shape: out, ds: ost}
		c.ss, c.soff = selected(op.Sels, dense.Strides(in[0].Shape()))
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

// selected is where the elements sels keep lie in a value of strides st:
// the stride of each kept dim, and the offset of the first (Select reads
// them so, Unselect writes them so).
func selected(sels []graph.Sel, st []int) (strides []int, off int) {
	for k, s := range sels {
		switch {
		case s.Keep:
			strides = append(strides, st[k])
		case s.Drop:
			off += s.I * st[k]
		default:
			strides = append(strides, s.S.Step*st[k])
			off += s.S.Lo * st[k]
		}
	}
	return strides, off
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
		out, err := r.out(n)
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
		out, err := r.out(n)
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
		out, err := r.out(n)
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
