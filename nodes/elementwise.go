package nodes

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// BinaryKind selects a Binary op.
type BinaryKind uint8

// The binary elementwise ops.
const (
	BinAdd BinaryKind = iota
	BinSub
	BinMul
	BinDiv
	BinMaximum
	BinMinimum
	BinPow
	BinLess
	BinGreater
	BinEqual
)

// ewBinSpec is one row of the binary table. Arithmetic kinds set f (and i
// when int64 is allowed); comparisons set cf and ci (and bools when bool
// operands are allowed) and produce tensor.Bool.
type ewBinSpec struct {
	name  string
	f     func(a, b float64) float64
	i     func(a, b int64) int64
	cf    func(a, b float64) bool
	ci    func(a, b int64) bool
	bools bool
}

var ewBinTable = [...]ewBinSpec{
	BinAdd:     {name: "Add", f: func(a, b float64) float64 { return a + b }, i: func(a, b int64) int64 { return a + b }},
	BinSub:     {name: "Sub", f: func(a, b float64) float64 { return a - b }, i: func(a, b int64) int64 { return a - b }},
	BinMul:     {name: "Mul", f: func(a, b float64) float64 { return a * b }, i: func(a, b int64) int64 { return a * b }},
	BinDiv:     {name: "Div", f: func(a, b float64) float64 { return a / b }},
	BinMaximum: {name: "Maximum", f: math.Max, i: func(a, b int64) int64 { return max(a, b) }},
	BinMinimum: {name: "Minimum", f: math.Min, i: func(a, b int64) int64 { return min(a, b) }},
	BinPow:     {name: "Pow", f: math.Pow},
	BinLess:    {name: "Less", cf: func(a, b float64) bool { return a < b }, ci: func(a, b int64) bool { return a < b }},
	BinGreater: {name: "Greater", cf: func(a, b float64) bool { return a > b }, ci: func(a, b int64) bool { return a > b }},
	BinEqual:   {name: "Equal", cf: func(a, b float64) bool { return a == b }, ci: func(a, b int64) bool { return a == b }, bools: true},
}

// String is the op's user-facing name.
func (k BinaryKind) String() string {
	if int(k) < len(ewBinTable) {
		return ewBinTable[k].name
	}
	return fmt.Sprintf("BinaryKind(%d)", uint8(k))
}

// Binary is an elementwise op on two operands of one dtype whose visible
// shapes are identical, or one of which is a rank-0 scalar.
//
// Bcast is set only by batching rules, never by the user-facing builders: it
// also accepts operands one of whose shapes is a proper trailing suffix of the
// other's (NumPy's trailing broadcast without size-1 stretching); the shorter
// operand repeats over the leading dims of the longer, whose shape the result
// has.
type Binary struct {
	Kind  BinaryKind
	Bcast bool
}

func (o *Binary) spec() (ewBinSpec, error) {
	if int(o.Kind) >= len(ewBinTable) {
		return ewBinSpec{}, fmt.Errorf("unknown binary op %v", o.Kind)
	}
	return ewBinTable[o.Kind], nil
}

// Name is the op's user-facing name, such as "Add".
func (o *Binary) Name() string { return o.Kind.String() }

// Attrs marks the trailing-broadcast form.
func (o *Binary) Attrs() string {
	if o.Bcast {
		return "bcast"
	}
	return ""
}

// IsComparison reports whether the op produces tensor.Bool.
func (o *Binary) IsComparison() bool {
	s, err := o.spec()
	return err == nil && s.cf != nil
}

// Infer checks dtypes (identical, and allowed by the op) and shapes.
func (o *Binary) Infer(in []graph.Type) (graph.Type, error) {
	s, err := o.spec()
	if err != nil {
		return graph.Type{}, err
	}
	if len(in) != 2 {
		return graph.Type{}, fmt.Errorf("takes 2 operands, got %d", len(in))
	}
	a, b := in[0], in[1]
	if a.DType != b.DType {
		return graph.Type{}, fmt.Errorf("dtypes differ: %s vs %s (no dtype promotion; convert one side with nodes.Cast)", a, b)
	}
	if err := ewCheckDtype(a, b, s.i != nil || s.ci != nil, s.bools); err != nil {
		return graph.Type{}, err
	}
	var shape []int
	if o.Bcast {
		shape, err = ewSuffixShape(a, b)
	} else {
		shape, err = ewShape(a, b)
	}
	if err != nil {
		return graph.Type{}, err
	}
	dt := a.DType
	if s.cf != nil {
		dt = tensor.Bool
	}
	return graph.Type{DType: dt, Shape: shape}, nil
}

// Eval computes in float64 (rounding once to the output dtype) for floats
// and exactly for int64 and bool.
func (o *Binary) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	s, err := o.spec()
	if err != nil {
		return nil, err
	}
	if len(in) != 2 {
		return nil, fmt.Errorf("takes 2 operands, got %d", len(in))
	}
	var shape []int
	if o.Bcast {
		shape, err = ewEvalSuffixShape(in[0], in[1])
	} else {
		shape, err = ewEvalShape(in...)
	}
	if err != nil {
		return nil, err
	}
	dt := in[0].Dtype()
	if in[1].Dtype() != dt {
		return nil, fmt.Errorf("dtypes differ: %v vs %v", dt, in[1].Dtype())
	}
	n := dense.Size(shape)
	// Element k of the result reads element k mod size of each operand: the
	// operand itself when it has the result's shape, its only element when
	// it is a scalar, and the repeated trailing block under Bcast.
	na, nb := max(in[0].Size(), 1), max(in[1].Size(), 1)
	switch {
	case s.cf != nil && graph.IsFloat(dt):
		a, b := dense.F64(in[0]), dense.F64(in[1])
		out := make([]bool, n)
		for k := range out {
			out[k] = s.cf(a[k%na], b[k%nb])
		}
		return dense.FromBools(shape, out), nil
	case s.cf != nil && (dt == tensor.Int64 || dt == tensor.Bool && s.bools):
		a, b := dense.I64(in[0]), dense.I64(in[1])
		out := make([]bool, n)
		for k := range out {
			out[k] = s.ci(a[k%na], b[k%nb])
		}
		return dense.FromBools(shape, out), nil
	case s.f != nil && graph.IsFloat(dt):
		a, b := dense.F64(in[0]), dense.F64(in[1])
		out := make([]float64, n)
		for k := range out {
			out[k] = s.f(a[k%na], b[k%nb])
		}
		return dense.FromF64(dt, shape, out), nil
	case s.i != nil && dt == tensor.Int64:
		a, b := dense.I64(in[0]), dense.I64(in[1])
		out := make([]int64, n)
		for k := range out {
			out[k] = s.i(a[k%na], b[k%nb])
		}
		return dense.FromI64(shape, out), nil
	}
	return nil, fmt.Errorf("%s does not support %s operands", s.name, graph.DTypeName(dt))
}

func ewBinary(k BinaryKind, a, b *graph.Node) *graph.Node {
	return graph.Apply(&Binary{Kind: k}, a, b)
}

// Add is a + b elementwise.
func Add(a, b *graph.Node) *graph.Node { return ewBinary(BinAdd, a, b) }

// Sub is a - b elementwise.
func Sub(a, b *graph.Node) *graph.Node { return ewBinary(BinSub, a, b) }

// Mul is a · b elementwise.
func Mul(a, b *graph.Node) *graph.Node { return ewBinary(BinMul, a, b) }

// Div is a / b elementwise (floats only).
func Div(a, b *graph.Node) *graph.Node { return ewBinary(BinDiv, a, b) }

// Maximum is the elementwise larger of a and b (NaN if either is NaN).
func Maximum(a, b *graph.Node) *graph.Node { return ewBinary(BinMaximum, a, b) }

// Minimum is the elementwise smaller of a and b (NaN if either is NaN).
func Minimum(a, b *graph.Node) *graph.Node { return ewBinary(BinMinimum, a, b) }

// Pow is a raised to b elementwise, as math.Pow (floats only).
func Pow(a, b *graph.Node) *graph.Node { return ewBinary(BinPow, a, b) }

// Less is a < b elementwise, as tensor.Bool.
func Less(a, b *graph.Node) *graph.Node { return ewBinary(BinLess, a, b) }

// Greater is a > b elementwise, as tensor.Bool.
func Greater(a, b *graph.Node) *graph.Node { return ewBinary(BinGreater, a, b) }

// Equal is a == b elementwise, as tensor.Bool; bool operands are allowed.
func Equal(a, b *graph.Node) *graph.Node { return ewBinary(BinEqual, a, b) }

// WhereOp picks, elementwise, a where cond is true and b elsewhere.
type WhereOp struct{}

// Name is "Where".
func (*WhereOp) Name() string { return "Where" }

// Infer wants a bool cond and a, b of one dtype; the visible shapes of all
// three are identical or rank-0.
func (*WhereOp) Infer(in []graph.Type) (graph.Type, error) {
	if len(in) != 3 {
		return graph.Type{}, fmt.Errorf("takes 3 operands (cond, a, b), got %d", len(in))
	}
	c, a, b := in[0], in[1], in[2]
	if c.DType != tensor.Bool {
		return graph.Type{}, fmt.Errorf("cond must be bool, got %s (make one with Less, Greater or Equal)", c)
	}
	if a.DType != b.DType {
		return graph.Type{}, fmt.Errorf("dtypes differ: %s vs %s (no dtype promotion; convert one side with nodes.Cast)", a, b)
	}
	if !graph.Supported(a.DType) {
		return graph.Type{}, fmt.Errorf("unsupported dtype %s", a)
	}
	shape, err := ewShape(c, a, b)
	if err != nil {
		return graph.Type{}, err
	}
	return graph.Type{DType: a.DType, Shape: shape}, nil
}

// Eval copies elements exactly, whatever the dtype.
func (*WhereOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("takes 3 operands, got %d", len(in))
	}
	if in[0].Dtype() != tensor.Bool || in[1].Dtype() != in[2].Dtype() {
		return nil, fmt.Errorf("bad dtypes %v, %v, %v", in[0].Dtype(), in[1].Dtype(), in[2].Dtype())
	}
	if !graph.Supported(in[1].Dtype()) {
		return nil, fmt.Errorf("unsupported dtype %v", in[1].Dtype())
	}
	shape, err := ewEvalShape(in...)
	if err != nil {
		return nil, err
	}
	c := dense.Bools(in[0])
	a, b := dense.Contiguous(in[1]), dense.Contiguous(in[2])
	sc, sa, sb := ewStride(in[0]), ewStride(a), ewStride(b)
	out := dense.Zeros(a.Dtype(), shape)
	for k := 0; k < out.Size(); k++ {
		if c[k*sc] {
			dense.CopyElems(out, k, a, k*sa, 1)
		} else {
			dense.CopyElems(out, k, b, k*sb, 1)
		}
	}
	return out, nil
}

// Where is a where cond is true and b elsewhere; cond is tensor.Bool.
func Where(cond, a, b *graph.Node) *graph.Node { return graph.Apply(&WhereOp{}, cond, a, b) }

// ewShape is rule 1: all non-scalar operands share one visible shape, which
// is the result's (rank-0 when every operand is a scalar).
func ewShape(in ...graph.Type) ([]int, error) {
	var ref *graph.Type
	for k := range in {
		t := &in[k]
		if t.IsScalar() {
			continue
		}
		if ref == nil {
			ref = t
			continue
		}
		if !graph.SameShape(*ref, *t) {
			return nil, fmt.Errorf("shapes differ: %s vs %s (no implicit broadcasting; index with a loop axis or reshape)", ref.Dims(), t.Dims())
		}
	}
	if ref == nil {
		return nil, nil
	}
	return append([]int{}, ref.Shape...), nil
}

// ewCheckDtype rejects dtypes an op does not take: ints unless allowed,
// bools unless allowed.
func ewCheckDtype(a, b graph.Type, ints, bools bool) error {
	switch {
	case graph.IsFloat(a.DType):
		return nil
	case a.DType == tensor.Int64 && !ints:
		return fmt.Errorf("needs float32 or float64 operands, got %s and %s (convert with nodes.Cast(x, tensor.Float64))", a, b)
	case a.DType == tensor.Int64:
		return nil
	case a.DType == tensor.Bool && !bools:
		return fmt.Errorf("does not take bool operands, got %s and %s (convert with nodes.Cast)", a, b)
	case a.DType == tensor.Bool:
		return nil
	}
	return fmt.Errorf("unsupported dtype %s", a)
}

// ewEvalShape is ewShape on run-time values, so bad feeds give errors.
func ewEvalShape(in ...*tensor.Dense) ([]int, error) {
	var shape []int
	found := false
	for _, x := range in {
		s := x.Shape()
		if len(s) == 0 {
			if x.Size() != 1 {
				return nil, fmt.Errorf("scalar operand holds %d elements", x.Size())
			}
			continue
		}
		if !found {
			shape, found = dense.Shape(x), true
			continue
		}
		if !graph.SameShape(graph.Type{Shape: shape}, graph.Type{Shape: s}) {
			return nil, fmt.Errorf("shapes differ: %v vs %v", shape, []int(s))
		}
	}
	return shape, nil
}

// ewStride is 0 for a rank-0 operand (one element reused) and 1 otherwise.
func ewStride(x *tensor.Dense) int {
	if len(x.Shape()) == 0 {
		return 0
	}
	return 1
}
