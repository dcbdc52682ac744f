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
//
// Batched, set only by batching rules, makes it the batched form: an operand
// of any rank ≥ 1, with (log-)softmax taken along dim Axis independently for
// every index of the other dims.
type SoftmaxOp struct {
	Log     bool
	Batched bool
	Axis    int
}

// Attrs shows the axis of the batched form.
func (o *SoftmaxOp) Attrs() string {
	if o.Batched {
		return fmt.Sprintf("axis %d", o.Axis)
	}
	return ""
}

// Name is "Softmax" or "LogSoftmax".
func (o *SoftmaxOp) Name() string {
	if o.Log {
		return "LogSoftmax"
	}
	return "Softmax"
}

// Infer wants a 1-D float vector (the batched form: a float value with a dim
// Axis) and keeps its type.
func (o *SoftmaxOp) Infer(in []graph.Type) (graph.Type, error) {
	if len(in) != 1 {
		return graph.Type{}, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	if o.Batched && (o.Axis < 0 || o.Axis >= x.Rank()) {
		return graph.Type{}, fmt.Errorf("axis %d of a rank-%d value %s", o.Axis, x.Rank(), x.Dims())
	}
	if !o.Batched && x.Rank() != 1 {
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
	shape := dense.Shape(x)
	if o.Batched {
		if o.Axis < 0 || o.Axis >= len(shape) || !graph.IsFloat(x.Dtype()) {
			return nil, fmt.Errorf("wants a float value with a dim %d, got %v %v", o.Axis, x.Dtype(), shape)
		}
	} else if len(shape) != 1 || !graph.IsFloat(x.Dtype()) {
		return nil, fmt.Errorf("wants a float vector, got %v %v", x.Dtype(), shape)
	}
	axis := 0
	if o.Batched {
		axis = o.Axis
	}
	// Each line along axis: outer × inner of them, n elements inner apart.
	v := dense.F64(x)
	outer, n, inner := dense.Size(shape[:axis]), shape[axis], dense.Size(shape[axis+1:])
	line := make([]float64, n)
	for p := 0; p < outer; p++ {
		for q := 0; q < inner; q++ {
			base := p*n*inner + q
			for j := range line {
				line[j] = v[base+j*inner]
			}
			smSoftmax(line, o.Log)
			for j, y := range line {
				v[base+j*inner] = y
			}
		}
	}
	return dense.FromF64(x.Dtype(), shape, v), nil
}

// Batch takes the (log-)softmax along the per-example axis of the batched
// operand in place: the batched form with Axis the non-batch dim of a 1-D
// example, or the batched form's Axis shifted past the batch dim. The batch
// dim stays; nothing is transposed.
func (o *SoftmaxOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 1 || len(bdim) != 1 {
		return nil, 0, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x, bd := in[0], bdim[0]
	if bd < 0 || bd >= x.Rank() {
		return nil, 0, fmt.Errorf("batch dim %d of a rank-%d operand", bd, x.Rank())
	}
	axis := 1 - bd
	if o.Batched {
		axis = o.Axis
		if axis >= bd {
			axis++
		}
	}
	return checked(graph.Apply(&SoftmaxOp{Log: o.Log, Batched: true, Axis: axis}, x), bd)
}

// VJP reuses the result y: softmax's is y·(c - Σ c·y), log-softmax's is
// c - e^y·Σ c, the sums taken along the softmax axis.
func (o *SoftmaxOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	// along sums v along the axis and repeats the sum back over it (a
	// rank-0 sum meets the vector directly).
	along := func(v *graph.Node) *graph.Node {
		if !o.Batched {
			return Sum(v)
		}
		shape := v.Shape()
		s := graph.Apply(&Reduce{Kind: RedSum, Axes: []int{o.Axis}}, v)
		return bcastKept(s, shape, redKept([]int{o.Axis}, len(shape)))
	}
	if o.Log {
		return grads(o, Sub(ct, Mul(Exp(out), along(ct))))
	}
	return grads(o, Mul(out, Sub(ct, along(Mul(ct, out)))))
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
