package nodes

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// The fused ops are what the optimizer's fusion pass turns chains of
// elementwise ops into. They are created after loops are lowered, so they
// have no batching rule, and after differentiation, so no gradient. Their
// computation is an Expr: plain data that a backend compiles its own way
// (the CPU interprets it over cache-sized chunks; a GPU backend generates
// one kernel from it). Their reference rule interprets it with the member
// ops' own reference rules, so exec/ref stays the oracle.

// InstrKind selects what an Instr computes.
type InstrKind uint8

// The instruction kinds.
const (
	ILoad   InstrKind = iota // operand Input, broadcast to the Expr's shape
	IConst                   // the scalar C
	IUnary                   // Unary(Args[0]) with constant C
	IBinary                  // Binary(Args[0], Args[1])
	IWhere                   // Where(Args[0], Args[1], Args[2])
	ICast                    // Cast(Args[0]) to DType
)

// Instr is one step of an Expr. Its value is Args-indexed by later steps;
// every value has the Expr's shape except IConst, which is a scalar.
type Instr struct {
	Kind   InstrKind
	Input  int        // ILoad: which operand
	Unary  UnaryKind  // IUnary
	Binary BinaryKind // IBinary
	C      float64    // IConst's value; IUnary's constant (Scale, Offset)
	Args   []int      // earlier steps this one reads
	DType  tensor.Dtype
}

// ExprInput is one operand of a fused op and how it is broadcast: dim k of
// the operand is dim Dims[k] of the Expr's shape (sizes equal; Dims
// distinct, increasing for a broadcast, in any order for a permuted operand,
// which backends read with strides); along every other dim it repeats. A
// rank-0 operand has no Dims.
type ExprInput struct {
	DType tensor.Dtype
	Shape []int
	Dims  []int
}

// Full reports an operand of exactly the Expr's shape, read in place.
func (in ExprInput) Full(shape []int) bool {
	if !slices.Equal(in.Shape, shape) {
		return false
	}
	for k, d := range in.Dims {
		if d != k {
			return false
		}
	}
	return true
}

// TailKind selects what follows a fused elementwise computation.
type TailKind uint8

// The tails.
const (
	TailNone    TailKind = iota
	TailReduce           // Reduce over Axes
	TailSoftmax          // (log-)softmax along Axis
)

// Tail is the one non-elementwise step a fused kernel may end with: the
// elementwise values then never leave the kernel.
type Tail struct {
	Kind   TailKind
	Reduce ReduceKind // TailReduce
	Axes   []int      // TailReduce: dims of the Expr's shape, sorted
	Axis   int        // TailSoftmax
	Log    bool       // TailSoftmax: log-softmax
}

// Expr is a fused kernel's computation: the last instruction's value over
// Shape, followed by Tail.
type Expr struct {
	Shape  []int
	Inputs []ExprInput
	Code   []Instr
	Tail   Tail
}

// FusedOp runs an Expr as one kernel: every operand is read once and the
// result written once.
type FusedOp struct {
	graph.NoBatch
	graph.NoGrad
	Expr
	Labels []*graph.Axis // the result's axis names (printing only)
}

// Name is "Fused".
func (*FusedOp) Name() string { return "Fused" }

// Attrs is the expression.
func (o *FusedOp) Attrs() string { return o.Expr.String() }

// Infer checks each operand against its ExprInput, then types every
// instruction with its member op's own shape rule.
func (o *FusedOp) Infer(in []graph.Type) (graph.Type, error) {
	t, err := o.Expr.infer(in)
	if err != nil {
		return graph.Type{}, err
	}
	if len(o.Labels) == t.Rank() {
		t.Labels = append([]*graph.Axis(nil), o.Labels...)
	}
	return t, nil
}

// Eval interprets the expression with the member ops' reference rules.
func (o *FusedOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) { return o.Expr.eval(in) }

// member is the op an instruction stands for (nil for loads and constants).
func (ins Instr) member() graph.Op {
	switch ins.Kind {
	case IUnary:
		return &Unary{Kind: ins.Unary, C: ins.C}
	case IBinary:
		return &Binary{Kind: ins.Binary}
	case IWhere:
		return &WhereOp{}
	case ICast:
		return &CastOp{To: ins.DType}
	}
	return nil
}

func (o *Expr) infer(in []graph.Type) (graph.Type, error) {
	if len(in) != len(o.Inputs) {
		return graph.Type{}, fmt.Errorf("takes %d operands, got %d", len(o.Inputs), len(in))
	}
	for k, x := range in {
		e := o.Inputs[k]
		if x.DType != e.DType || !slices.Equal(x.Shape, e.Shape) {
			return graph.Type{}, fmt.Errorf("operand %d is %s, the expression wants %s", k, x, graph.Of(e.DType, e.Shape))
		}
		if err := placed(o.Shape, e.Dims, x); err != nil {
			return graph.Type{}, fmt.Errorf("operand %d: %v", k, err)
		}
	}
	if len(o.Code) == 0 {
		return graph.Type{}, fmt.Errorf("empty expression")
	}
	types := make([]graph.Type, len(o.Code))
	for k, ins := range o.Code {
		for _, a := range ins.Args {
			if a < 0 || a >= k {
				return graph.Type{}, fmt.Errorf("instruction %d reads %d, not an earlier one", k, a)
			}
		}
		var t graph.Type
		switch ins.Kind {
		case ILoad:
			if ins.Input < 0 || ins.Input >= len(in) {
				return graph.Type{}, fmt.Errorf("instruction %d loads operand %d of %d", k, ins.Input, len(in))
			}
			t = graph.Of(in[ins.Input].DType, o.Shape)
		case IConst:
			t = graph.Of(ins.DType, nil)
		default:
			m := ins.member()
			if m == nil {
				return graph.Type{}, fmt.Errorf("instruction %d: unknown kind %d", k, ins.Kind)
			}
			args := make([]graph.Type, len(ins.Args))
			for j, a := range ins.Args {
				args[j] = types[a]
			}
			var err error
			if t, err = m.Infer(args); err != nil {
				return graph.Type{}, fmt.Errorf("instruction %d (%s): %v", k, m.Name(), err)
			}
		}
		if ins.DType != t.DType {
			return graph.Type{}, fmt.Errorf("instruction %d is %s, marked %s", k, t, graph.DTypeName(ins.DType))
		}
		types[k] = t
	}
	res := types[len(types)-1]
	if !slices.Equal(res.Shape, o.Shape) {
		return graph.Type{}, fmt.Errorf("result is %s, the expression's shape is %v", res, o.Shape)
	}
	if op := o.Tail.op(); op != nil {
		return op.Infer([]graph.Type{res})
	}
	return res, nil
}

// placed checks that x's dims land on distinct dims of shape, of their
// sizes.
func placed(shape, dims []int, x graph.Type) error {
	if len(dims) != x.Rank() {
		return fmt.Errorf("%d dims placed for a rank-%d value %s", len(dims), x.Rank(), x.Dims())
	}
	seen := make([]bool, len(shape))
	for k, d := range dims {
		if d < 0 || d >= len(shape) || seen[d] || shape[d] != x.Shape[k] {
			return fmt.Errorf("cannot place %s into %v along dims %v", x.Dims(), shape, dims)
		}
		seen[d] = true
	}
	return nil
}

// op is the tail's member op (nil for none).
func (t Tail) op() graph.Op {
	switch t.Kind {
	case TailReduce:
		return &Reduce{Kind: t.Reduce, Axes: append([]int{}, t.Axes...)}
	case TailSoftmax:
		return &SoftmaxOp{Log: t.Log, Batched: true, Axis: t.Axis}
	}
	return nil
}

func (o *Expr) eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if len(in) != len(o.Inputs) {
		return nil, fmt.Errorf("takes %d operands, got %d", len(o.Inputs), len(in))
	}
	if len(o.Code) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	vals := make([]*tensor.Dense, len(o.Code))
	for k, ins := range o.Code {
		var v *tensor.Dense
		var err error
		switch ins.Kind {
		case ILoad:
			if ins.Input < 0 || ins.Input >= len(in) {
				return nil, fmt.Errorf("instruction %d loads operand %d of %d", k, ins.Input, len(in))
			}
			v, err = (&BroadcastOp{Shape: o.Shape, Dims: o.Inputs[ins.Input].Dims}).Eval(in[ins.Input : ins.Input+1])
		case IConst:
			v = dense.FromF64(ins.DType, []int{}, []float64{ins.C})
		default:
			m := ins.member()
			if m == nil {
				return nil, fmt.Errorf("instruction %d: unknown kind %d", k, ins.Kind)
			}
			args := make([]*tensor.Dense, len(ins.Args))
			for j, a := range ins.Args {
				if a < 0 || a >= k {
					return nil, fmt.Errorf("instruction %d reads %d, not an earlier one", k, a)
				}
				args[j] = vals[a]
			}
			v, err = m.Eval(args)
		}
		if err != nil {
			return nil, fmt.Errorf("instruction %d: %w", k, err)
		}
		vals[k] = v
	}
	res := vals[len(vals)-1]
	if op := o.Tail.op(); op != nil {
		return op.Eval([]*tensor.Dense{res})
	}
	return res, nil
}

// FusedMatMulOp is a matrix product whose result goes straight through an
// epilogue (bias, activation, softmax along its rows...) before it is
// written: the backend applies Epi to each block of the product while that
// block is in cache. Its operands are the product's two, then Epi's
// operands after its first, which is the product itself read in Epi's shape
// (the same elements, in the same order).
type FusedMatMulOp struct {
	graph.NoBatch
	graph.NoGrad
	MM  graph.Op // *MatMulOp or *BatchMatMulOp
	Epi *FusedOp
}

// Name is "FusedMatMul".
func (*FusedMatMulOp) Name() string { return "FusedMatMul" }

// Attrs shows the product's parameters and the epilogue.
func (o *FusedMatMulOp) Attrs() string {
	s := ""
	if a, ok := o.MM.(interface{ Attrs() string }); ok && a.Attrs() != "" {
		s = a.Attrs() + "; "
	}
	return s + "then " + o.Epi.Expr.String()
}

// Infer types the product with its own rule, then the epilogue on it.
func (o *FusedMatMulOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := o.check(); err != nil {
		return graph.Type{}, err
	}
	if len(in) != len(o.Epi.Inputs)+1 {
		return graph.Type{}, fmt.Errorf("takes %d operands, got %d", len(o.Epi.Inputs)+1, len(in))
	}
	p, err := o.MM.Infer(in[:2])
	if err != nil {
		return graph.Type{}, fmt.Errorf("%s: %v", o.MM.Name(), err)
	}
	first := o.Epi.Inputs[0]
	if p.DType != first.DType || p.Size() != dense.Size(first.Shape) {
		return graph.Type{}, fmt.Errorf("the product %s does not fill the epilogue's %s", p, graph.Of(first.DType, first.Shape))
	}
	epi := append([]graph.Type{graph.Of(p.DType, first.Shape)}, in[2:]...)
	return o.Epi.Infer(epi)
}

// Eval multiplies with the product's reference rule, then runs the
// epilogue's.
func (o *FusedMatMulOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(in) != len(o.Epi.Inputs)+1 {
		return nil, fmt.Errorf("takes %d operands, got %d", len(o.Epi.Inputs)+1, len(in))
	}
	p, err := o.MM.Eval(in[:2])
	if err != nil {
		return nil, err
	}
	shape := o.Epi.Inputs[0].Shape
	if p.Size() != dense.Size(shape) {
		return nil, fmt.Errorf("the product %v does not fill the epilogue's %v", p.Shape(), shape)
	}
	p = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dense.Raw(dense.Contiguous(p))))
	return o.Epi.Eval(append([]*tensor.Dense{p}, in[2:]...))
}

func (o *FusedMatMulOp) check() error {
	switch o.MM.(type) {
	case *MatMulOp, *BatchMatMulOp:
	default:
		return fmt.Errorf("the product must be MatMul or BatchMatMul, got %T", o.MM)
	}
	if o.Epi == nil || len(o.Epi.Inputs) == 0 || !o.Epi.Inputs[0].Full(o.Epi.Shape) {
		return fmt.Errorf("the epilogue must read the product as its first, full-shape operand")
	}
	return nil
}
