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
// Explain names the loop it keeps; it has no gradient.
func Custom(name string, infer func(in []graph.Type) (graph.Type, error), fn func(in []*tensor.Dense) (*tensor.Dense, error), xs ...*graph.Node) *graph.Node {
	if infer == nil || fn == nil {
		for _, x := range xs {
			if x != nil && x.Graph() != nil {
				return x.Graph().Fail("Custom", "%s: nil shape rule or function", name)
			}
		}
	}
	return graph.Apply(&CustomOp{Label: name, InferFn: infer, Fn: fn}, xs...)
}

// CustomOp is the op behind Custom.
type CustomOp struct {
	graph.NoBatch
	graph.NoGrad
	Label   string
	InferFn func(in []graph.Type) (graph.Type, error)
	Fn      func(in []*tensor.Dense) (*tensor.Dense, error)
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
