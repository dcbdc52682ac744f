package nodes

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Custom applies a Go function to whole values as one op: infer is its
// shape rule (visible dims and dtype from the operands' types; return an
// error to reject them) and fn computes one example. A custom op has no
// batching rule, so inside a loop it runs once per index — in parallel — and
// Explain names the loop it keeps; it has no gradient (CustomWithGrad gives
// it one).
func Custom(name string, infer func(in []graph.Type) (graph.Type, error), fn func(in []*tensor.Dense) (*tensor.Dense, error), xs ...*graph.Node) *graph.Node {
	return custom(&CustomOp{Label: name, InferFn: infer, Fn: fn}, xs)
}

// VJPFunc is a gradient rule, as graph.Op's VJP: given the operands, the
// result and the result's cotangent, it builds each operand's cotangent (nil
// for an operand without one) from loom ops — it may be called inside a loop
// body being traced, so it must build graph, never compute on data.
type VJPFunc func(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error)

// CustomWithGrad is Custom with a gradient rule, so autodiff.Grad can
// differentiate through the op. vjp's cotangents must have their operands'
// shapes and dtypes.
func CustomWithGrad(name string, infer func(in []graph.Type) (graph.Type, error), fn func(in []*tensor.Dense) (*tensor.Dense, error), vjp VJPFunc, xs ...*graph.Node) *graph.Node {
	if vjp == nil {
		return custom(&CustomOp{Label: name}, xs) // fails: nil rule
	}
	return custom(&CustomOp{Label: name, InferFn: infer, Fn: fn, VJPFn: vjp}, xs)
}

func custom(op *CustomOp, xs []*graph.Node) *graph.Node {
	if op.InferFn == nil || op.Fn == nil {
		for _, x := range xs {
			if x != nil && x.Graph() != nil {
				return x.Graph().Fail("Custom", "%s: nil shape rule, function or gradient rule", op.Label)
			}
		}
	}
	return graph.Apply(op, xs...)
}

// CustomOp is the op behind Custom and CustomWithGrad.
type CustomOp struct {
	graph.NoBatch
	Label   string
	InferFn func(in []graph.Type) (graph.Type, error)
	Fn      func(in []*tensor.Dense) (*tensor.Dense, error)
	VJPFn   VJPFunc // nil: no gradient
}

// VJP runs the user's gradient rule, if there is one, and checks that it
// answers with one cotangent per operand; a panic in it is an error.
func (o *CustomOp) VJP(in []*graph.Node, out, ct *graph.Node) (gs []*graph.Node, err error) {
	if o.VJPFn == nil {
		return nil, fmt.Errorf("%w: custom op %q has no gradient rule (build it with nodes.CustomWithGrad)", graph.ErrNoGradient, o.Label)
	}
	defer func() {
		if r := recover(); r != nil {
			gs, err = nil, fmt.Errorf("custom op %q: gradient rule panicked: %v", o.Label, r)
		}
	}()
	gs, err = o.VJPFn(in, out, ct)
	switch {
	case err != nil:
		return nil, fmt.Errorf("custom op %q gradient: %w", o.Label, err)
	case len(gs) != len(in):
		return nil, fmt.Errorf("custom op %q: gradient rule gave %d cotangents for %d operands", o.Label, len(gs), len(in))
	}
	return grads(o, gs...)
}

func (o *CustomOp) Name() string { return o.Label }

func (o *CustomOp) Infer(in []graph.Type) (t graph.Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("shape rule panicked: %v", r)
		}
	}()
	t, err = o.InferFn(in)
	if err == nil && !graph.Supported(t.DType) {
		err = fmt.Errorf("shape rule gave unsupported dtype %v", t.DType)
	}
	return t, err
}

// Eval runs the user's function on copies (it may not corrupt loom's
// buffers) and checks its result against the shape rule.
func (o *CustomOp) Eval(in []*tensor.Dense) (out *tensor.Dense, err error) {
	types := make([]graph.Type, len(in))
	args := make([]*tensor.Dense, len(in))
	for k, x := range in {
		types[k] = graph.Of(x.Dtype(), dense.Shape(x))
		args[k] = dense.Clone(x)
	}
	want, err := o.Infer(types)
	if err != nil {
		return nil, err
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("function panicked: %v", r)
			}
		}()
		out, err = o.Fn(args)
	}()
	switch {
	case err != nil:
		return nil, err
	case out == nil:
		return nil, fmt.Errorf("function returned nil")
	case out.Dtype() != want.DType || !slices.Equal(dense.Shape(out), want.Shape):
		return nil, fmt.Errorf("function returned %v%v, its shape rule says %s", out.Dtype(), dense.Shape(out), want)
	}
	return dense.Contiguous(out), nil
}
