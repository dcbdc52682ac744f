package nodes

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// ReduceKind selects a Reduce op.
type ReduceKind uint8

// The reductions over all visible dims.
const (
	RedSum ReduceKind = iota
	RedMean
	RedMax
	RedMin
	RedLogSumExp
)

// redSpec is one row of the reduction table: f on floats (in float64), i on
// int64 (nil: floats only). nonEmpty ops are undefined on zero elements.
type redSpec struct {
	name     string
	f        func(v []float64) float64
	i        func(v []int64) int64
	nonEmpty bool
}

var redTable = [...]redSpec{
	RedSum:       {name: "Sum", f: redSumF, i: redSumI},
	RedMean:      {name: "Mean", f: func(v []float64) float64 { return redSumF(v) / float64(len(v)) }},
	RedMax:       {name: "Max", f: redMaxF, i: func(v []int64) int64 { return redExtI(v, 1) }, nonEmpty: true},
	RedMin:       {name: "Min", f: redMinF, i: func(v []int64) int64 { return redExtI(v, -1) }, nonEmpty: true},
	RedLogSumExp: {name: "LogSumExp", f: redLogSumExp},
}

func redSumF(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func redSumI(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

// redMaxF is the largest element, NaN if any is NaN, -Inf for none.
func redMaxF(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// redMinF is the smallest element, NaN if any is NaN, +Inf for none.
func redMinF(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// redExtI is the largest (sign 1) or smallest (sign -1) of non-empty v.
func redExtI(v []int64, sign int64) int64 {
	m := v[0]
	for _, x := range v[1:] {
		if (sign > 0 && x > m) || (sign < 0 && x < m) {
			m = x
		}
	}
	return m
}

// redLogSumExp is log Σ e^x, shifted by the max so that large inputs do not
// overflow: all -Inf (or none) gives -Inf, any +Inf gives +Inf, NaN gives NaN.
func redLogSumExp(v []float64) float64 {
	m := redMaxF(v)
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// String is the op's user-facing name.
func (k ReduceKind) String() string {
	if int(k) < len(redTable) {
		return redTable[k].name
	}
	return fmt.Sprintf("ReduceKind(%d)", uint8(k))
}

// Reduce combines every element of its operand's visible dims into a rank-0
// value of the same dtype.
//
// Axes, when not nil, reduces exactly those dims of the operand instead
// (sorted, distinct, in range; an empty list reduces nothing); the result
// keeps the other dims in order. The user-facing builders leave it nil;
// batching rules set it.
type Reduce struct {
	Kind ReduceKind
	Axes []int
}

// Name is the op's user-facing name, such as "Sum".
func (o *Reduce) Name() string { return o.Kind.String() }

// Attrs shows the reduced dims when Axes is set.
func (o *Reduce) Attrs() string {
	if o.Axes == nil {
		return ""
	}
	return fmt.Sprintf("axes %v", o.Axes)
}

func (o *Reduce) spec() (redSpec, error) {
	if int(o.Kind) >= len(redTable) {
		return redSpec{}, fmt.Errorf("unknown reduction %v", o.Kind)
	}
	return redTable[o.Kind], nil
}

// Infer gives a scalar of the operand's dtype (with Axes: the kept dims).
func (o *Reduce) Infer(in []graph.Type) (graph.Type, error) {
	s, err := o.spec()
	if err != nil {
		return graph.Type{}, err
	}
	if len(in) != 1 {
		return graph.Type{}, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	switch {
	case graph.IsFloat(x.DType):
	case x.DType == tensor.Int64 && s.i != nil:
	case x.DType == tensor.Int64:
		return graph.Type{}, fmt.Errorf("needs float32 or float64, got %s (convert with nodes.Cast(x, tensor.Float64))", x)
	case x.DType == tensor.Bool:
		return graph.Type{}, fmt.Errorf("does not take bool, got %s (convert with nodes.Cast(x, tensor.Int64))", x)
	default:
		return graph.Type{}, fmt.Errorf("unsupported dtype %s", x)
	}
	if o.Axes != nil {
		return o.inferAxes(s, x)
	}
	if s.nonEmpty && x.Size() == 0 {
		return graph.Type{}, fmt.Errorf("empty input %s: no elements to take the %s of", x.Dims(), s.name)
	}
	return graph.Type{DType: x.DType}, nil
}

// Eval reduces in float64 (rounded once) for floats and exactly for int64.
func (o *Reduce) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	s, err := o.spec()
	if err != nil {
		return nil, err
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	if o.Axes != nil {
		return o.evalAxes(s, x)
	}
	if s.nonEmpty && x.Size() == 0 {
		return nil, fmt.Errorf("empty input %v: no elements to take the %s of", []int(x.Shape()), s.name)
	}
	switch dt := x.Dtype(); {
	case graph.IsFloat(dt):
		return dense.FromF64(dt, nil, []float64{s.f(dense.F64(x))}), nil
	case dt == tensor.Int64 && s.i != nil:
		return dense.FromI64(nil, []int64{s.i(dense.I64(x))}), nil
	default:
		return nil, fmt.Errorf("%s does not support %s", s.name, graph.DTypeName(dt))
	}
}

// VJP repeats the cotangent over the reduced dims: as is for Sum, divided by
// the count for Mean, times the softmax e^(x-y) for LogSumExp. Max and Min
// split it equally among the elements that attain the extreme (JAX's rule;
// ties are where the function is not differentiable). Integer operands carry
// no gradient.
func (o *Reduce) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !floaty(x) {
		return []*graph.Node{nil}, nil
	}
	shape, axes := x.Shape(), o.Axes
	if axes == nil {
		axes = make([]int, len(shape))
		for d := range axes {
			axes[d] = d
		}
	}
	kept := redKept(axes, len(shape))
	back := func(v *graph.Node) *graph.Node { return bcastKept(v, shape, kept) }
	var g *graph.Node
	switch o.Kind {
	case RedSum:
		g = back(ct)
	case RedMean:
		g = back(ct)
		if n := redCount(shape, axes); n > 0 {
			g = Scale(g, 1/float64(n))
		}
	case RedMax, RedMin:
		hit := Cast(Equal(x, back(out)), x.DType())
		n := graph.Apply(&Reduce{Kind: RedSum, Axes: o.Axes}, hit)
		g = Mul(hit, back(Div(ct, n)))
	case RedLogSumExp:
		g = Mul(back(ct), Exp(Sub(x, back(out))))
	default:
		return nil, fmt.Errorf("%w: unknown reduction %v", graph.ErrNoGradient, o.Kind)
	}
	return grads(o, g)
}

func redApply(k ReduceKind, x *graph.Node) *graph.Node { return graph.Apply(&Reduce{Kind: k}, x) }

// Sum adds every element (0 for none).
func Sum(x *graph.Node) *graph.Node { return redApply(RedSum, x) }

// Mean is the average of every element (NaN for none; floats only).
func Mean(x *graph.Node) *graph.Node { return redApply(RedMean, x) }

// Max is the largest element (NaN if any is NaN); x must not be empty.
func Max(x *graph.Node) *graph.Node { return redApply(RedMax, x) }

// Min is the smallest element (NaN if any is NaN); x must not be empty.
func Min(x *graph.Node) *graph.Node { return redApply(RedMin, x) }

// LogSumExp is log Σ e^x over every element, computed stably (-Inf for none;
// floats only).
func LogSumExp(x *graph.Node) *graph.Node { return redApply(RedLogSumExp, x) }
