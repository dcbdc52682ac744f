package graph

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Input is a value fed at run time by name.
type Input struct {
	NoBatch
	NoGrad
	Label string
}

func (*Input) Name() string    { return "input" }
func (o *Input) Attrs() string { return fmt.Sprintf("%q", o.Label) }
func (*Input) Infer(in []Type) (Type, error) {
	return Type{}, fmt.Errorf("inputs are made by Graph.Input")
}
func (o *Input) Eval([]*tensor.Dense) (*tensor.Dense, error) {
	return nil, fmt.Errorf("input %q was not fed", o.Label)
}

// Const is a value embedded in the graph. Eval returns the stored tensor
// itself: ops never modify their inputs, and executors copy outputs.
type Const struct {
	NoBatch
	NoGrad
	Value *tensor.Dense
}

func (*Const) Name() string { return "const" }
func (*Const) Infer(in []Type) (Type, error) {
	return Type{}, fmt.Errorf("constants are made by Graph.Const")
}
func (o *Const) Eval([]*tensor.Dense) (*tensor.Dense, error) { return o.Value, nil }
func (o *Const) Attrs() string {
	if o.Value.Size() <= 8 {
		return fmt.Sprint(o.Value.Data())
	}
	return "…"
}

// Param stands, inside a loop body, for a value captured from outside: mapped
// over Axis on dim Dim of the outside value, or shared when Dim is -1.
type Param struct {
	NoBatch
	NoGrad
	Index int
	Dim   int
	Axis  *Axis
}

func (*Param) Name() string { return "param" }
func (*Param) Infer(in []Type) (Type, error) {
	return Type{}, fmt.Errorf("params are made by loop tracing")
}
func (o *Param) Attrs() string {
	if o.Dim < 0 {
		return fmt.Sprintf("%d shared", o.Index)
	}
	return fmt.Sprintf("%d %s@%d", o.Index, o.Axis.name, o.Dim)
}
func (o *Param) Eval([]*tensor.Dense) (*tensor.Dense, error) {
	return nil, fmt.Errorf("param %d evaluated outside its loop", o.Index)
}

// Body is a loop's single-example sub-graph.
type Body struct {
	Params []*Node // one per loop input, in order
	Nodes  []*Node // the non-param nodes the result needs, in topological order
	Result *Node
}

// LoopOp is a vmap node: Body evaluated for every index of Axis, with input k
// sliced on InDims[k] (or shared when -1), results stacked on a new dim 0.
type LoopOp struct {
	NoBatch
	NoGrad
	Axis   *Axis
	Size   int
	Body   *Body
	InDims []int
	// Residual, when set, says why lowering kept this loop (an op without a
	// batching rule); the backend runs it index by index, in parallel.
	Residual string
}

func (*LoopOp) Name() string { return "loop" }
func (o *LoopOp) Attrs() string {
	if o.Residual != "" {
		return o.Axis.String() + ", residual: " + o.Residual
	}
	return o.Axis.String()
}

func (o *LoopOp) Infer(in []Type) (Type, error) {
	if len(in) != len(o.InDims) {
		return Type{}, fmt.Errorf("%d inputs for %d params", len(in), len(o.InDims))
	}
	r := o.Body.Result.typ
	t := Type{DType: r.DType, Shape: append([]int{o.Size}, r.Shape...)}
	t.Labels = make([]*Axis, len(t.Shape))
	t.Labels[0] = o.Axis
	for k := range r.Shape {
		t.Labels[k+1] = r.Label(k)
	}
	return t, nil
}

// Eval runs the body once per index, in order.
func (o *LoopOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	var out *tensor.Dense
	for i := 0; i < o.Size; i++ {
		r, err := o.Body.Eval(o.Args(in, i))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = dense.Zeros(r.Dtype(), append([]int{o.Size}, dense.Shape(r)...))
		}
		dense.Put(out, 0, i, r)
	}
	if out == nil { // zero iterations
		r := o.Body.Result.typ
		out = dense.Zeros(r.DType, append([]int{0}, r.Shape...))
	}
	return out, nil
}

// Args returns the body's arguments for index i: mapped inputs sliced.
func (o *LoopOp) Args(in []*tensor.Dense, i int) []*tensor.Dense {
	args := make([]*tensor.Dense, len(in))
	for k, x := range in {
		if d := o.InDims[k]; d >= 0 {
			args[k] = dense.Take(x, d, i)
		} else {
			args[k] = x
		}
	}
	return args
}

// Eval interprets the body on one example.
func (b *Body) Eval(args []*tensor.Dense) (*tensor.Dense, error) {
	env := make(map[*Node]*tensor.Dense, len(b.Params)+len(b.Nodes))
	for k, p := range b.Params {
		env[p] = args[k]
	}
	if err := Interpret(b.Nodes, env); err != nil {
		return nil, err
	}
	return env[b.Result], nil
}

// RunError is an evaluation error at one node.
type RunError struct {
	Node *Node
	Err  error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Node.site, e.Node.op.Name(), e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }

// Interpret evaluates nodes in order with the reference rules, reading
// operands from env and storing each result there. Nodes already in env
// (feeds, params) are not recomputed.
func Interpret(nodes []*Node, env map[*Node]*tensor.Dense) error {
	for _, n := range nodes {
		if _, done := env[n]; done {
			continue
		}
		args := make([]*tensor.Dense, len(n.in))
		for k, x := range n.in {
			v, ok := env[x]
			if !ok {
				return &RunError{n, fmt.Errorf("operand %d (%%%d) has no value", k, x.id)}
			}
			args[k] = v
		}
		v, err := n.op.Eval(args)
		if err != nil {
			if _, nested := err.(*RunError); nested {
				return err
			}
			return &RunError{n, err}
		}
		env[n] = v
	}
	return nil
}
