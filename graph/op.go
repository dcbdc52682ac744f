package graph

import (
	"errors"

	"gorgonia.org/tensor"
)

// Op is the one interface every operation implements. All of an op's rules
// live together in its own file, so a missing rule is a compile error, not a
// registry lookup that fails at run time.
type Op interface {
	// Name is the op's user-facing name, used in errors and printing.
	Name() string
	// Infer is the shape and dtype rule over visible dims only. Its error is a
	// bare message (the graph adds the call site and op name) that shows the
	// offending shapes with Type.Dims.
	Infer(in []Type) (Type, error)
	// Eval is the reference semantics on one example. It never modifies or
	// returns its inputs, and returns an error, not a panic, on bad data.
	Eval(in []*tensor.Dense) (*tensor.Dense, error)
	// Batch lifts the op over one mapped axis: bdim[k] is the dim of in[k]
	// that carries the axis, or -1 when in[k] is shared. It returns the
	// batched node and the dim of it carrying the axis. ErrNoBatchRule keeps
	// a loop.
	Batch(in []*Node, bdim []int) (out *Node, outBdim int, err error)
	// VJP returns the cotangent of each input given the output's cotangent;
	// nil entries for inputs that carry no gradient. ErrNoGradient says the
	// gradient is undefined.
	VJP(in []*Node, out, cotangent *Node) ([]*Node, error)
}

var (
	// ErrNoBatchRule is returned by Op.Batch when the op has no batching rule;
	// the loop around it is kept and run iteration by iteration.
	ErrNoBatchRule = errors.New("no batching rule")
	// ErrNoGradient is returned by Op.VJP when the op's gradient is undefined.
	ErrNoGradient = errors.New("gradient not defined")
)

// NoBatch is embedded by ops that have no batching rule yet.
type NoBatch struct{}

// Batch reports that there is no batching rule.
func (NoBatch) Batch([]*Node, []int) (*Node, int, error) { return nil, 0, ErrNoBatchRule }

// NoGrad is embedded by ops whose gradient is undefined or not yet written.
type NoGrad struct{}

// VJP reports that the gradient is not defined.
func (NoGrad) VJP([]*Node, *Node, *Node) ([]*Node, error) { return nil, ErrNoGradient }
