package graph

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// Type is what is known about a value when the graph is built: its dtype, its
// visible dims, which loop axis (if any) each visible dim came from, and the
// loop axes it is mapped over inside loop bodies.
type Type struct {
	DType tensor.Dtype
	Shape []int
	// Labels names visible dims that came from a loop axis (nil entries are
	// plain dims). It may be nil, and only serves errors and printing.
	Labels []*Axis
	// Mapped lists, outermost first, the loop axes the value varies over.
	// The graph fills it; ops' Infer rules ignore it.
	Mapped []*Axis
}

// Rank is the number of visible dims.
func (t Type) Rank() int { return len(t.Shape) }

// Size is the number of elements of one example (1 for a scalar).
func (t Type) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// IsScalar reports a rank-0 visible shape.
func (t Type) IsScalar() bool { return len(t.Shape) == 0 }

// SameShape reports whether a and b have identical visible dims.
func SameShape(a, b Type) bool {
	if len(a.Shape) != len(b.Shape) {
		return false
	}
	for k := range a.Shape {
		if a.Shape[k] != b.Shape[k] {
			return false
		}
	}
	return true
}

// Label returns the axis of dim k, or nil.
func (t Type) Label(k int) *Axis {
	if k < len(t.Labels) {
		return t.Labels[k]
	}
	return nil
}

// Dims formats the visible dims with axis names, as errors show them:
// "[seq=128 64]".
func (t Type) Dims() string {
	var b strings.Builder
	b.WriteByte('[')
	for k, d := range t.Shape {
		if k > 0 {
			b.WriteByte(' ')
		}
		if a := t.Label(k); a != nil {
			fmt.Fprintf(&b, "%s=%d", a.name, d)
		} else {
			fmt.Fprintf(&b, "%d", d)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// String is the dtype, dims and mapped axes: "f32[seq=128 64]{i}".
func (t Type) String() string {
	s := DTypeName(t.DType) + t.Dims()
	if len(t.Mapped) > 0 {
		names := make([]string, len(t.Mapped))
		for k, a := range t.Mapped {
			names[k] = a.name
		}
		s += "{" + strings.Join(names, ",") + "}"
	}
	return s
}

// DTypeName is the short name used in printing: f32, f64, i64, bool.
func DTypeName(dt tensor.Dtype) string {
	switch dt {
	case tensor.Float32:
		return "f32"
	case tensor.Float64:
		return "f64"
	case tensor.Int64:
		return "i64"
	case tensor.Bool:
		return "bool"
	}
	if dt.Type == nil {
		return "?"
	}
	return dt.String()
}

// IsFloat reports float32 or float64.
func IsFloat(dt tensor.Dtype) bool { return dt == tensor.Float32 || dt == tensor.Float64 }

// IsNumeric reports float32, float64 or int64.
func IsNumeric(dt tensor.Dtype) bool { return IsFloat(dt) || dt == tensor.Int64 }

// Supported reports the dtypes loom handles.
func Supported(dt tensor.Dtype) bool { return IsNumeric(dt) || dt == tensor.Bool }

// Of builds a Type with fresh copies of shape; labels may be nil.
func Of(dt tensor.Dtype, shape []int, labels ...*Axis) Type {
	t := Type{DType: dt, Shape: append([]int{}, shape...)}
	if len(labels) > 0 {
		t.Labels = append([]*Axis(nil), labels...)
	}
	return t
}
