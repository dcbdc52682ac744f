package cpu

import (
	"math"

	"github.com/loomtensor/loom/internal/vmath"
	"github.com/loomtensor/loom/nodes"
)

// The slice loops fused kernels run on one chunk: d has the chunk's length,
// operands are at least as long, and d may be any operand itself (every
// loop reads element i before writing it). One tight loop per op and
// operand form, so nothing dispatches per element.

func f32[T float](d []T) ([]float32, bool) { v, ok := any(d).([]float32); return v, ok }

// vUnary is d = k(s) with constant c (Scale, Offset).
func vUnary[T float](k nodes.UnaryKind, c T, d, s []T) {
	s = s[:len(d)]
	if d32, ok := f32(d); ok {
		s32 := any(s).([]float32)
		switch k {
		case nodes.UnExp:
			vmath.Exp32s(d32, s32)
			return
		case nodes.UnScale:
			if &d32[0] == &s32[0] {
				vmath.Scale32s(d32, float32(c))
				return
			}
		}
	}
	switch k {
	case nodes.UnNeg:
		for i, v := range s {
			d[i] = -v
		}
	case nodes.UnExp:
		for i, v := range s {
			d[i] = T(math.Exp(float64(v)))
		}
	case nodes.UnLog:
		for i, v := range s {
			d[i] = T(math.Log(float64(v)))
		}
	case nodes.UnSqrt:
		for i, v := range s {
			d[i] = T(math.Sqrt(float64(v)))
		}
	case nodes.UnTanh:
		for i, v := range s {
			d[i] = T(math.Tanh(float64(v)))
		}
	case nodes.UnSigmoid:
		for i, v := range s {
			x := float64(v)
			if x >= 0 {
				d[i] = T(1 / (1 + math.Exp(-x)))
			} else {
				e := math.Exp(x)
				d[i] = T(e / (1 + e))
			}
		}
	case nodes.UnRelu:
		for i, v := range s {
			d[i] = max(v, 0) // NaN stays NaN, as math.Max
		}
	case nodes.UnAbs:
		for i, v := range s {
			d[i] = T(math.Abs(float64(v)))
		}
	case nodes.UnScale:
		for i, v := range s {
			d[i] = v * c
		}
	case nodes.UnOffset:
		for i, v := range s {
			d[i] = v + c
		}
	}
}

// vAffine is d = s·a + b, rounded after each step as the Scale and Offset
// it replaces.
func vAffine[T float](d, s []T, a, b T) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = v*a + b
	}
}

// vOffScale is d = (s + b)·a: an Offset then a Scale.
func vOffScale[T float](d, s []T, a, b T) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = (v + b) * a
	}
}

// vBinary is d = k(a, b); kinds without a loop of their own go through
// their float64 reference function.
func vBinary[T float](k nodes.BinaryKind, d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	switch k {
	case nodes.BinAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case nodes.BinSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case nodes.BinMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case nodes.BinDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case nodes.BinMaximum:
		for i := range d {
			d[i] = max(a[i], b[i])
		}
	case nodes.BinMinimum:
		for i := range d {
			d[i] = min(a[i], b[i])
		}
	case nodes.BinPow:
		for i := range d {
			d[i] = T(math.Pow(float64(a[i]), float64(b[i])))
		}
	case nodes.BinLess:
		for i := range d {
			d[i] = mask[T](a[i] < b[i])
		}
	case nodes.BinGreater:
		for i := range d {
			d[i] = mask[T](a[i] > b[i])
		}
	case nodes.BinEqual:
		for i := range d {
			d[i] = mask[T](a[i] == b[i])
		}
	}
}

// vBinaryC is d = k(a, c), or d = k(c, a) when flip: one side a scalar.
// Kinds without a loop here fill a splat and use vBinary.
func vBinaryC[T float](k nodes.BinaryKind, d, a []T, c T, flip bool, splat []T) {
	a = a[:len(d)]
	switch {
	case k == nodes.BinAdd:
		for i, v := range a {
			d[i] = v + c
		}
	case k == nodes.BinMul:
		for i, v := range a {
			d[i] = v * c
		}
	case k == nodes.BinSub && !flip:
		for i, v := range a {
			d[i] = v - c
		}
	case k == nodes.BinSub:
		for i, v := range a {
			d[i] = c - v
		}
	case k == nodes.BinDiv && !flip:
		for i, v := range a {
			d[i] = v / c
		}
	case k == nodes.BinDiv:
		for i, v := range a {
			d[i] = c / v
		}
	case k == nodes.BinMaximum:
		for i, v := range a {
			d[i] = max(v, c)
		}
	case k == nodes.BinMinimum:
		for i, v := range a {
			d[i] = min(v, c)
		}
	default:
		s := splat[:len(d)]
		for i := range s {
			s[i] = c
		}
		if flip {
			vBinary(k, d, s, a)
		} else {
			vBinary(k, d, a, s)
		}
	}
}

func mask[T float](b bool) T {
	if b {
		return 1
	}
	return 0
}

// vWhere is d = a where m is nonzero, else b.
func vWhere[T float](d, m, a, b []T) {
	m, a, b = m[:len(d)], a[:len(d)], b[:len(d)]
	for i := range d {
		if m[i] != 0 {
			d[i] = a[i]
		} else {
			d[i] = b[i]
		}
	}
}

// expShiftSum writes e^(s[i]-shift) to d and returns their sum (float64
// accumulation on the Go path; vmath's blocked float32 lanes on float32).
func expShiftSum[T float](d, s []T, shift T) float64 {
	if d32, ok := f32(d); ok {
		return float64(vmath.ExpShiftSum32(d32, any(s).([]float32), float32(shift)))
	}
	var sum float64
	for i, v := range s {
		e := math.Exp(float64(v - shift))
		d[i] = T(e)
		sum += e
	}
	return sum
}
