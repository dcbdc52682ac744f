package nodes

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// SoftmaxOp is softmax, or log-softmax when Log is set, of one float vector.
// It shifts by the max first, so large inputs do not overflow. Batching is by
// loops: apply it to each row inside vmap.For.
type SoftmaxOp struct {
	graph.NoBatch
	graph.NoGrad
	Log bool
}

// Name is "Softmax" or "LogSoftmax".
func (o *SoftmaxOp) Name() string {
	if o.Log {
		return "LogSoftmax"
	}
	return "Softmax"
}

// Infer wants a 1-D float vector and keeps its type.
func (o *SoftmaxOp) Infer(in []graph.Type) (graph.Type, error) {
	if len(in) != 1 {
		return graph.Type{}, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	if x.Rank() != 1 {
		return graph.Type{}, fmt.Errorf("wants one vector (1-D), got %s: apply it per row inside vmap.For, or Ravel first", x.Dims())
	}
	if !graph.IsFloat(x.DType) {
		return graph.Type{}, fmt.Errorf("needs float32 or float64, got %s (convert with nodes.Cast(x, tensor.Float64))", x)
	}
	return graph.Type{DType: x.DType, Shape: x.Shape}, nil
}

// Eval computes in float64 and rounds once.
func (o *SoftmaxOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	if len(x.Shape()) != 1 || !graph.IsFloat(x.Dtype()) {
		return nil, fmt.Errorf("wants a float vector, got %v %v", x.Dtype(), x.Shape())
	}
	v := dense.F64(x)
	smSoftmax(v, o.Log)
	return dense.FromF64(x.Dtype(), dense.Shape(x), v), nil
}

// smSoftmax overwrites v with its (log-)softmax. It shifts by the max when
// that is finite and by 0 otherwise (JAX's rule), so an all -Inf vector gives
// NaN (0/0) and +Inf entries give NaN, never a shift by an infinity.
func smSoftmax(v []float64, log bool) {
	m := redMaxF(v)
	if math.IsInf(m, 0) {
		m = 0
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	if log {
		lse := m + math.Log(s)
		for k, x := range v {
			v[k] = x - lse
		}
		return
	}
	for k, x := range v {
		v[k] = math.Exp(x-m) / s
	}
}

// Softmax is e^x / Σ e^x over one vector.
func Softmax(x *graph.Node) *graph.Node { return graph.Apply(&SoftmaxOp{}, x) }

// LogSoftmax is x - LogSumExp(x) over one vector.
func LogSoftmax(x *graph.Node) *graph.Node { return graph.Apply(&SoftmaxOp{Log: true}, x) }
