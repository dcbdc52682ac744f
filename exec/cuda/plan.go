package cuda

import (
	"fmt"
	"math"
	"os"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// step is one node of the program run on the device: usually one kernel,
// sometimes a few (pointer arrays then a batched GEMM; one copy per piece
// of a Concat), or none (a reshape is a view).
type step struct {
	n    *graph.Node
	args []*graph.Node // the values it reads: for a fused kernel, its leaves
	srcs []kernelSrc   // compiled at Prepare
	// exec computes the node's value from its args' device values.
	exec func(r *run, in []*Tensor) (*Tensor, error)
	// flags device int64 slots the kernel reports failures in, their values
	// before it runs, and what a changed value means.
	flags []int64
	flag0 int // the first of its slots in the run's flag buffer
	check func(got []int64) error
	host  bool // runs on the host (LOOM_CUDA_HOST=1)
	view  bool // shares its operand's buffer (a reshape)
	// inplace: its kernel may write over an operand of its size (each
	// element read before it is written).
	inplace bool
}

type kernelSrc struct{ src, name string }

// plan is a program compiled for the device.
type plan struct {
	order, outs []*graph.Node
	steps       []*step
	inputs      []*graph.Node // graph inputs the steps read
	consts      map[*graph.Node]*Tensor
	last        map[*graph.Node]int // step index of each value's last reader
	nflags      int
	inlined     int // elementwise nodes folded into another's kernel
	hostOps     []string
	mem         *memory
}

// run is the state of one execution of a plan.
type run struct {
	e     *engine
	p     *plan
	sms   int
	flags uint64 // device address of the plan's flag slots
	// The step running, its operands' values, and the buffers of feeds and
	// constants (never written over): what out needs to follow the plan.
	step     int
	in       []*Tensor
	borrowed map[*buffer]bool
}

// flagAt is the device address of flag slot k.
func (r *run) flagAt(k int) uint64 { return r.flags + uint64(8*k) }

// launch runs k unless it has no work.
func (r *run) launch(k launch) error { return r.e.g.launch(k) }

// hostFallback reports whether ops without a kernel run on the host
// (LOOM_CUDA_HOST=1) instead of failing Prepare.
func hostFallback() bool { return os.Getenv("LOOM_CUDA_HOST") == "1" }

// newPlan turns a program (topological order, outputs) into device steps.
// Ops without a device kernel are an error wrapping ErrNoKernel, or host
// steps when host is set.
func newPlan(order, outs []*graph.Node, host bool) (*plan, error) {
	p := &plan{order: order, outs: outs, consts: map[*graph.Node]*Tensor{}, last: map[*graph.Node]int{}}
	inline := fusable(order, outs)
	for _, n := range order {
		var s *step
		var err error
		switch op := n.Op().(type) {
		case *graph.Input:
			p.inputs = append(p.inputs, n)
			continue
		case *graph.Const:
			p.consts[n] = nil // uploaded by prepare
			continue
		case *nodes.Unary, *nodes.Binary, *nodes.WhereOp, *nodes.CastOp:
			if inline[n] {
				p.inlined++
				continue
			}
			s, err = ewStep(n, inline)
		case *nodes.ReshapeOp, *nodes.RavelOp:
			s = viewStep(n)
		case *nodes.Reduce:
			s, err = reduceStep(n, op)
		case *nodes.SoftmaxOp:
			s, err = softmaxStep(n, op)
		case *nodes.TransposeOp, *nodes.BroadcastOp, *graph.Select, *nodes.ConcatOp, *nodes.StackOp:
			s, err = copyStep(n)
		case *graph.Gather:
			s, err = gatherStep(n, op)
		case *graph.TakeOp:
			s, err = takeStep(n, op)
		case *nodes.MatMulOp, *nodes.BatchMatMulOp, *nodes.OuterOp:
			s, err = gemmStep(n)
		case *nodes.SolveOp:
			s, err = solveStep(n, op)
		case *nodes.InvOp:
			s, err = invStep(n, op)
		case *nodes.CholeskyOp:
			s, err = choleskyStep(n, op)
		case *graph.Scatter:
			s, err = scatterStep(n, op)
		case *graph.Unselect:
			s, err = unselectStep(n, op)
		case *nodes.EinsumOp:
			s, err = einsumStep(n, op)
		case *nodes.CustomOp, *graph.LoopOp:
			// The user's Go function (and a loop kept around one) can only
			// run on the host: that is what it is, not a missing kernel.
			s = hostStep(n)
			p.hostOps = append(p.hostOps, fmt.Sprintf("%%%d %s", n.ID(), n.Op().Name()))
		case *nodes.FusedOp:
			s, err = fusedStep(n, op)
		case *nodes.FusedMatMulOp:
			s, err = fusedMatMulStep(n, op)
		default:
			err = noKernel(n, "")
		}
		if err != nil {
			if !host || !isNoKernel(err) {
				return nil, err
			}
			s = hostStep(n)
			p.hostOps = append(p.hostOps, fmt.Sprintf("%%%d %s", n.ID(), n.Op().Name()))
		}
		s.flag0 = p.nflags
		p.nflags += len(s.flags)
		p.steps = append(p.steps, s)
	}
	for i, s := range p.steps {
		for _, a := range s.args {
			p.last[a] = i
		}
	}
	for _, o := range outs {
		p.last[o] = len(p.steps)
	}
	p.mem = planMemory(p)
	return p, nil
}

// noKernel is Prepare's error for a node the device cannot run.
func noKernel(n *graph.Node, why string) error {
	if why != "" {
		why = " (" + why + ")"
	}
	return &noKernelError{fmt.Errorf("exec/cuda: op %s (%%%d %s, built at %s)%s %w; set LOOM_CUDA_HOST=1 to run such ops on the host, copying their operands across the bus",
		n.Op().Name(), n.ID(), n.Type(), n.Site(), why, ErrNoKernel)}
}

type noKernelError struct{ error }

func (e *noKernelError) Unwrap() error { return e.error }

func isNoKernel(err error) bool { _, ok := err.(*noKernelError); return ok }

// fusable marks the elementwise nodes that can be computed inside their one
// consumer's kernel instead of being written out: not an output, read once,
// by an elementwise node, and either of its consumer's size or a scalar (so
// nothing is recomputed more than once per output element).
func fusable(order, outs []*graph.Node) map[*graph.Node]bool {
	uses := map[*graph.Node]int{}
	for _, n := range order {
		for _, x := range n.Inputs() {
			uses[x]++
		}
	}
	for _, o := range outs {
		uses[o] += 2
	}
	inline := map[*graph.Node]bool{}
	for _, c := range order {
		if !elementwise(c) {
			continue
		}
		for _, x := range c.Inputs() {
			sx, sc := dense.Size(x.Shape()), dense.Size(c.Shape())
			if elementwise(x) && uses[x] == 1 && (sx == sc || sx == 1) {
				inline[x] = true
			}
		}
	}
	return inline
}

// elementwise reports an op the expression kernel computes.
func elementwise(n *graph.Node) bool {
	switch n.Op().(type) {
	case *nodes.Unary, *nodes.Binary, *nodes.WhereOp, *nodes.CastOp:
		return supportedDtype(n.DType())
	}
	return false
}

// exprOf builds the expression computing root, through the nodes inline
// marks; its other inputs become operands, read element k mod their size
// (the elementwise ops' rule: equal shapes, a scalar, or a trailing block).
func exprOf(root *graph.Node, inline map[*graph.Node]bool) (*Expr, []*graph.Node, error) {
	e := &Expr{Shape: root.Shape()}
	n := dense.Size(e.Shape)
	var leaves []*graph.Node
	leaf := map[*graph.Node]int{}
	at := map[*graph.Node]int{}
	var visit func(x *graph.Node) (int, error)
	visit = func(x *graph.Node) (int, error) {
		if k, ok := at[x]; ok {
			return k, nil
		}
		if x != root && !inline[x] {
			k, ok := leaf[x]
			if !ok {
				st, err := operandStrides(e.Shape, dense.Size(x.Shape()), n)
				if err != nil {
					return 0, fmt.Errorf("%%%d %s: %v", x.ID(), x.Type(), err)
				}
				k = len(leaves)
				leaf[x] = k
				leaves = append(leaves, x)
				e.In = append(e.In, Operand{DType: x.DType(), Stride: st})
			}
			e.Code = append(e.Code, Instr{Kind: ILoad, In: k, DType: x.DType()})
			at[x] = len(e.Code) - 1
			return at[x], nil
		}
		var args []int
		for _, a := range x.Inputs() {
			k, err := visit(a)
			if err != nil {
				return 0, err
			}
			args = append(args, k)
		}
		ins := Instr{Args: args, DType: x.DType()}
		switch op := x.Op().(type) {
		case *nodes.Unary:
			ins.Kind, ins.Un, ins.C = IUnary, op.Kind, op.C
		case *nodes.Binary:
			ins.Kind, ins.Bin = IBinary, op.Kind
		case *nodes.WhereOp:
			ins.Kind = IWhere
		case *nodes.CastOp:
			ins.Kind = ICast
		}
		e.Code = append(e.Code, ins)
		at[x] = len(e.Code) - 1
		return at[x], nil
	}
	if _, err := visit(root); err != nil {
		return nil, nil, err
	}
	return e, leaves, e.Check()
}

// operandStrides places an operand of size m into a result of shape (size
// n): all of it, one element repeated, or a trailing block repeated over the
// leading dims.
func operandStrides(shape []int, m, n int) ([]int, error) {
	st := make([]int, len(shape))
	switch {
	case m == n:
		return dense.Strides(shape), nil
	case m == 1:
		return st, nil
	}
	for j := range shape {
		if dense.Size(shape[j:]) == m {
			copy(st[j:], dense.Strides(shape[j:]))
			return st, nil
		}
	}
	return nil, fmt.Errorf("%d elements do not repeat into %v", m, shape)
}

// hostStep runs n on the host by its reference rule: the explicit fallback
// for ops without a kernel. Its operands come back from the device and its
// result goes there.
func hostStep(n *graph.Node) *step {
	return &step{n: n, args: n.Inputs(), host: true, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		env := map[*graph.Node]*tensor.Dense{}
		for k, x := range n.Inputs() {
			h, err := r.e.get(in[k])
			if err != nil {
				return nil, err
			}
			env[x] = h
		}
		if err := graph.Interpret([]*graph.Node{n}, env); err != nil {
			return nil, err
		}
		return r.e.put(env[n])
	}}
}

// viewStep is a reshape: the same buffer, new dims.
func viewStep(n *graph.Node) *step {
	return &step{n: n, args: n.Inputs(), view: true, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		return in[0].view(n.Shape()), nil
	}}
}

// ewStep is a fused elementwise kernel rooted at n.
func ewStep(n *graph.Node, inline map[*graph.Node]bool) (*step, error) {
	e, leaves, err := exprOf(n, inline)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	src, err := e.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: leaves, srcs: []kernelSrc{{src, "ew"}}, inplace: true, exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		ptrs := make([]uint64, len(in))
		for k, t := range in {
			ptrs[k] = t.ptr()
		}
		return out, r.launch(e.launch(src, out.ptr(), ptrs, r.sms))
	}}, nil
}

// zeros fills t with zeros (an expression of one constant).
func zeros(r *run, t *Tensor) error {
	if t.size() == 0 {
		return nil
	}
	e := &Expr{Shape: t.shape, Code: []Instr{{Kind: IConst, DType: t.dt}}}
	src, err := e.Source()
	if err != nil {
		return err
	}
	return r.launch(e.launch(src, t.ptr(), nil, r.sms))
}

// noFailure is a flag slot's value when nothing failed, for kernels that
// record the smallest failing index.
const noFailure = math.MaxInt64
