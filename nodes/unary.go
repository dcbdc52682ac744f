package nodes

import (
	"fmt"
	"math"
	"strconv"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// UnaryKind selects a Unary op.
type UnaryKind uint8

// The unary elementwise ops. UnScale and UnOffset use the op's constant C.
const (
	UnNeg UnaryKind = iota
	UnExp
	UnLog
	UnSqrt
	UnTanh
	UnSigmoid
	UnRelu
	UnAbs
	UnScale
	UnOffset
)

// unSpec is one row of the unary table: f on floats (computed in float64),
// i on int64 (nil: floats only). c is the op's constant.
type unSpec struct {
	name string
	f    func(x, c float64) float64
	i    func(x, c int64) int64
}

var unTable = [...]unSpec{
	UnNeg:     {"Neg", func(x, _ float64) float64 { return -x }, func(x, _ int64) int64 { return -x }},
	UnExp:     {"Exp", func(x, _ float64) float64 { return math.Exp(x) }, nil},
	UnLog:     {"Log", func(x, _ float64) float64 { return math.Log(x) }, nil},
	UnSqrt:    {"Sqrt", func(x, _ float64) float64 { return math.Sqrt(x) }, nil},
	UnTanh:    {"Tanh", func(x, _ float64) float64 { return math.Tanh(x) }, nil},
	UnSigmoid: {"Sigmoid", func(x, _ float64) float64 { return unSigmoid(x) }, nil},
	UnRelu:    {"Relu", func(x, _ float64) float64 { return math.Max(x, 0) }, func(x, _ int64) int64 { return max(x, 0) }},
	UnAbs:     {"Abs", func(x, _ float64) float64 { return math.Abs(x) }, func(x, _ int64) int64 { return unAbsI(x) }},
	UnScale:   {"Scale", func(x, c float64) float64 { return x * c }, func(x, c int64) int64 { return x * c }},
	UnOffset:  {"Offset", func(x, c float64) float64 { return x + c }, func(x, c int64) int64 { return x + c }},
}

// unSigmoid is 1/(1+e^-x) without overflow: for x < 0 it is e^x/(1+e^x).
func unSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func unAbsI(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// String is the op's user-facing name.
func (k UnaryKind) String() string {
	if int(k) < len(unTable) {
		return unTable[k].name
	}
	return fmt.Sprintf("UnaryKind(%d)", uint8(k))
}

// Unary is an elementwise op on one operand; the result has its type.
type Unary struct {
	Kind UnaryKind
	C    float64 // the constant of UnScale (x·C) and UnOffset (x+C)
}

// Name is the op's user-facing name, such as "Exp".
func (o *Unary) Name() string { return o.Kind.String() }

// Attrs shows the constant of Scale and Offset.
func (o *Unary) Attrs() string {
	if o.Kind == UnScale || o.Kind == UnOffset {
		return strconv.FormatFloat(o.C, 'g', -1, 64)
	}
	return ""
}

func (o *Unary) spec() (unSpec, error) {
	if int(o.Kind) >= len(unTable) {
		return unSpec{}, fmt.Errorf("unknown unary op %v", o.Kind)
	}
	return unTable[o.Kind], nil
}

// Infer keeps the operand's type; int64 is allowed where the op is exact on
// integers (and for Scale/Offset only with an integral constant).
func (o *Unary) Infer(in []graph.Type) (graph.Type, error) {
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
	case x.DType == tensor.Int64 && s.i == nil:
		return graph.Type{}, fmt.Errorf("needs float32 or float64, got %s (convert with nodes.Cast(x, tensor.Float64))", x)
	case x.DType == tensor.Int64 && !unIntegral(o.C):
		return graph.Type{}, fmt.Errorf("int64 input %s needs an integral constant, got %v (convert with nodes.Cast(x, tensor.Float64))", x, o.C)
	case x.DType == tensor.Int64:
	case x.DType == tensor.Bool:
		return graph.Type{}, fmt.Errorf("does not take bool, got %s (convert with nodes.Cast)", x)
	default:
		return graph.Type{}, fmt.Errorf("unsupported dtype %s", x)
	}
	return graph.Type{DType: x.DType, Shape: x.Shape}, nil
}

// unIntegral reports whether c is an integer that fits int64.
func unIntegral(c float64) bool {
	return c == math.Trunc(c) && c >= math.MinInt64 && c < math.MaxInt64
}

// Eval computes floats in float64 (rounded once) and int64 exactly.
func (o *Unary) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	s, err := o.spec()
	if err != nil {
		return nil, err
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	shape := dense.Shape(x)
	switch dt := x.Dtype(); {
	case graph.IsFloat(dt):
		v := dense.F64(x)
		for k := range v {
			v[k] = s.f(v[k], o.C)
		}
		return dense.FromF64(dt, shape, v), nil
	case dt == tensor.Int64 && s.i != nil && unIntegral(o.C):
		v := dense.I64(x)
		c := int64(o.C)
		for k := range v {
			v[k] = s.i(v[k], c)
		}
		return dense.FromI64(shape, v), nil
	default:
		return nil, fmt.Errorf("%s does not support %s", s.name, graph.DTypeName(dt))
	}
}

// Batch applies the same op to the batched operand; the batch dim stays.
func (o *Unary) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 1 || len(bdim) != 1 {
		return nil, 0, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	op := *o
	return checked(graph.Apply(&op, in[0]), bdim[0])
}

// VJP multiplies the cotangent by the derivative, reusing the result y where
// the derivative is a function of it: exp' = y, sqrt' = 1/(2y), tanh' = 1-y²,
// sigmoid' = y(1-y). Relu's derivative at 0 is taken as 0 and Abs's as 0
// (sign(0), as JAX does): subgradients, since neither is differentiable
// there. Integer operands carry no gradient.
func (o *Unary) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !floaty(x) {
		return []*graph.Node{nil}, nil
	}
	var g *graph.Node
	switch o.Kind {
	case UnNeg:
		g = Neg(ct)
	case UnExp:
		g = Mul(ct, out)
	case UnLog:
		g = Div(ct, x)
	case UnSqrt:
		g = Div(ct, Scale(out, 2))
	case UnTanh:
		g = Mul(ct, Offset(Neg(Mul(out, out)), 1))
	case UnSigmoid:
		g = Mul(ct, Mul(out, Offset(Neg(out), 1)))
	case UnRelu:
		g = Where(Greater(x, scalarLike(x, 0)), ct, scalarLike(x, 0))
	case UnAbs:
		zero := scalarLike(x, 0)
		g = Where(Greater(x, zero), ct, Where(Less(x, zero), Neg(ct), zero))
	case UnScale:
		g = Scale(ct, o.C)
	case UnOffset:
		g = ct
	default:
		return nil, fmt.Errorf("%w: unknown unary op %v", graph.ErrNoGradient, o.Kind)
	}
	return grads(o, g)
}

func unApply(k UnaryKind, x *graph.Node) *graph.Node { return graph.Apply(&Unary{Kind: k}, x) }

// Neg is -x.
func Neg(x *graph.Node) *graph.Node { return unApply(UnNeg, x) }

// Exp is e^x (floats only).
func Exp(x *graph.Node) *graph.Node { return unApply(UnExp, x) }

// Log is the natural logarithm (floats only).
func Log(x *graph.Node) *graph.Node { return unApply(UnLog, x) }

// Sqrt is the square root (floats only).
func Sqrt(x *graph.Node) *graph.Node { return unApply(UnSqrt, x) }

// Tanh is the hyperbolic tangent (floats only).
func Tanh(x *graph.Node) *graph.Node { return unApply(UnTanh, x) }

// Sigmoid is 1/(1+e^-x), computed without overflow (floats only).
func Sigmoid(x *graph.Node) *graph.Node { return unApply(UnSigmoid, x) }

// Relu is max(x, 0).
func Relu(x *graph.Node) *graph.Node { return unApply(UnRelu, x) }

// Abs is |x|.
func Abs(x *graph.Node) *graph.Node { return unApply(UnAbs, x) }

// Scale is x·c; on int64, c must be an integer.
func Scale(x *graph.Node, c float64) *graph.Node {
	return graph.Apply(&Unary{Kind: UnScale, C: c}, x)
}

// Offset is x+c; on int64, c must be an integer.
func Offset(x *graph.Node, c float64) *graph.Node {
	return graph.Apply(&Unary{Kind: UnOffset, C: c}, x)
}

// CastOp converts elements to dtype To: floats to int64 truncate toward
// zero (NaN gives 0, out-of-range values saturate), anything nonzero is true,
// and true is 1.
type CastOp struct {
	To tensor.Dtype
}

// Name is "Cast".
func (*CastOp) Name() string { return "Cast" }

// Attrs is the target dtype.
func (o *CastOp) Attrs() string { return graph.DTypeName(o.To) }

// Infer keeps the shape and sets the dtype.
func (o *CastOp) Infer(in []graph.Type) (graph.Type, error) {
	if len(in) != 1 {
		return graph.Type{}, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	if !graph.Supported(o.To) {
		return graph.Type{}, fmt.Errorf("cannot cast %s to %v (want float32, float64, int64 or bool)", in[0], o.To)
	}
	if !graph.Supported(in[0].DType) {
		return graph.Type{}, fmt.Errorf("unsupported dtype %s", in[0])
	}
	return graph.Type{DType: o.To, Shape: in[0].Shape}, nil
}

// Eval converts into a new tensor.
func (o *CastOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x := in[0]
	from := x.Dtype()
	if !graph.Supported(from) || !graph.Supported(o.To) {
		return nil, fmt.Errorf("cannot cast %v to %v", from, o.To)
	}
	shape := dense.Shape(x)
	switch {
	case from == o.To:
		return dense.Clone(x), nil
	case o.To == tensor.Bool:
		return dense.FromBools(shape, dense.Bools(x)), nil
	case o.To == tensor.Int64 && graph.IsFloat(from):
		v := dense.F64(x)
		out := make([]int64, len(v))
		for k, f := range v {
			out[k] = unTruncI64(f)
		}
		return dense.FromI64(shape, out), nil
	case o.To == tensor.Int64:
		return dense.FromI64(shape, dense.I64(x)), nil
	case o.To == tensor.Float32 && from == tensor.Int64:
		v := dense.I64(x)
		out := dense.Zeros(tensor.Float32, shape)
		f := out.Float32s()
		for k, i := range v {
			f[k] = float32(i) // rounded once, unlike via float64
		}
		return out, nil
	default:
		return dense.FromF64(o.To, shape, dense.F64(x)), nil
	}
}

// Batch casts the batched operand; the batch dim stays.
func (o *CastOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 1 || len(bdim) != 1 {
		return nil, 0, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	return checked(graph.Apply(&CastOp{To: o.To}, in[0]), bdim[0])
}

// VJP casts the cotangent back to the operand's float dtype. Integer and
// bool operands carry no gradient, and neither does a float cast to int64 or
// bool: the result is piecewise constant, its derivative zero wherever it
// exists.
func (o *CastOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	switch {
	case !floaty(x) || !floaty(out):
		return []*graph.Node{nil}, nil
	case x.DType() == ct.DType():
		return []*graph.Node{ct}, nil
	}
	return grads(o, Cast(ct, x.DType()))
}

// unTruncI64 truncates toward zero, saturating out of range; NaN is 0.
func unTruncI64(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Cast converts x's elements to dtype dt.
func Cast(x *graph.Node, dt tensor.Dtype) *graph.Node {
	return graph.Apply(&CastOp{To: dt}, x)
}
