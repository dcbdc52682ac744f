package cpu

import (
	"math"
	"unsafe"

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
		case nodes.UnLog:
			vmath.Log32s(d32, s32)
		case nodes.UnTanh:
			vmath.Tanh32s(d32, s32)
		case nodes.UnSigmoid:
			vmath.Sigmoid32s(d32, s32)
		case nodes.UnNeg:
			vmath.Neg32s(d32, s32)
		case nodes.UnAbs:
			vmath.Abs32s(d32, s32)
		case nodes.UnRelu:
			vmath.Relu32s(d32, s32)
		case nodes.UnSqrt:
			vmath.Sqrt32s(d32, s32)
		case nodes.UnScale:
			vmath.MulC32s(d32, s32, float32(c))
		case nodes.UnOffset:
			vmath.AddC32s(d32, s32, float32(c))
		default:
			goto loops
		}
		return
	}
	if d64, ok := any(d).([]float64); ok {
		s64 := any(s).([]float64)
		switch k {
		case nodes.UnNeg:
			vmath.Neg64s(d64, s64)
		case nodes.UnAbs:
			vmath.Abs64s(d64, s64)
		case nodes.UnRelu:
			vmath.Relu64s(d64, s64)
		case nodes.UnSqrt:
			vmath.Sqrt64s(d64, s64)
		case nodes.UnScale:
			vmath.MulC64s(d64, s64, float64(c))
		case nodes.UnOffset:
			vmath.AddC64s(d64, s64, float64(c))
		default:
			goto loops
		}
		return
	}
loops:
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
// it replaces (two vector passes over the chunk, in L1, beat one scalar
// loop).
func vAffine[T float](d, s []T, a, b T) {
	vUnary(nodes.UnScale, a, d, s)
	vUnary(nodes.UnOffset, b, d, d)
}

// vExpAffine is d = e^(s·a + b) in one pass, the argument rounded once
// (float32; other types take the affine and exp passes).
func vExpAffine[T float](d, s []T, a, b T) {
	if d32, ok := f32(d); ok {
		vmath.ExpAffine32s(d32, any(s).([]float32)[:len(d32)], float32(a), float32(b))
		return
	}
	vAffine(d, s, a, b)
	vUnary(nodes.UnExp, 0, d, d)
}

// vOffScale is d = (s + b)·a: an Offset then a Scale.
func vOffScale[T float](d, s []T, a, b T) {
	vUnary(nodes.UnOffset, b, d, s)
	vUnary(nodes.UnScale, a, d, d)
}

// vBinary is d = k(a, b); kinds without a loop of their own go through
// their float64 reference function.
func vBinary[T float](k nodes.BinaryKind, d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	if d32, ok := f32(d); ok && k <= nodes.BinDiv {
		a32, b32 := any(a).([]float32), any(b).([]float32)
		[...]func(d, a, b []float32){vmath.Add32s, vmath.Sub32s, vmath.Mul32s, vmath.Div32s}[k](d32, a32, b32)
		return
	}
	if d64, ok := any(d).([]float64); ok && k <= nodes.BinDiv {
		a64, b64 := any(a).([]float64), any(b).([]float64)
		[...]func(d, a, b []float64){vmath.Add64s, vmath.Sub64s, vmath.Mul64s, vmath.Div64s}[k](d64, a64, b64)
		return
	}
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
			d[i] = fmax(a[i], b[i])
		}
	case nodes.BinMinimum:
		for i := range d {
			d[i] = fmin(a[i], b[i])
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
	if d32, ok := f32(d); ok && k <= nodes.BinDiv {
		a32 := any(a).([]float32)
		fs := [...]func(d, a []float32, c float32){vmath.AddC32s, vmath.SubC32s, vmath.MulC32s, vmath.DivC32s}
		if flip {
			fs = [...]func(d, a []float32, c float32){vmath.AddC32s, vmath.RSubC32s, vmath.MulC32s, vmath.RDivC32s}
		}
		fs[k](d32, a32, float32(c))
		return
	}
	if d64, ok := any(d).([]float64); ok && k <= nodes.BinDiv {
		a64 := any(a).([]float64)
		fs := [...]func(d, a []float64, c float64){vmath.AddC64s, vmath.SubC64s, vmath.MulC64s, vmath.DivC64s}
		if flip {
			fs = [...]func(d, a []float64, c float64){vmath.AddC64s, vmath.RSubC64s, vmath.MulC64s, vmath.RDivC64s}
		}
		fs[k](d64, a64, float64(c))
		return
	}
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
			d[i] = fmax(v, c)
		}
	case k == nodes.BinMinimum:
		for i, v := range a {
			d[i] = fmin(v, c)
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

// fmax is math.Max in T: +Inf if either is +Inf, else NaN if either is
// NaN, and +0 for (-0, +0) — the reference's Maximum.
func fmax[T float](a, b T) T {
	switch {
	case a > b:
		return a
	case b > a:
		return b
	case a == b:
		if a == 0 && math.Signbit(float64(a)) {
			return b
		}
		return a
	case math.IsInf(float64(a), 1) || math.IsInf(float64(b), 1):
		return T(math.Inf(1))
	}
	return T(math.NaN())
}

// fmin is math.Min in T: -Inf if either is -Inf, else NaN if either is
// NaN, and -0 for (-0, +0).
func fmin[T float](a, b T) T {
	switch {
	case a < b:
		return a
	case b < a:
		return b
	case a == b:
		if a == 0 && math.Signbit(float64(b)) {
			return b
		}
		return a
	case math.IsInf(float64(a), -1) || math.IsInf(float64(b), -1):
		return T(math.Inf(-1))
	}
	return T(math.NaN())
}

func mask[T float](b bool) T {
	return T(b2u(b))
}

// b2u is b as 0 or 1 without a branch: comparisons of random data would
// mispredict half the time.
func b2u(b bool) uint8 { return *(*uint8)(unsafe.Pointer(&b)) }

// vWhere is d = a where m is nonzero, else b. It selects bits, not
// branches (random masks mispredict half the time), and keeps NaN and
// ±Inf in the unselected side out of the result.
func vWhere[T float](d, m, a, b []T) {
	m, a, b = m[:len(d)], a[:len(d)], b[:len(d)]
	switch d := any(d).(type) {
	case []float32:
		m, a, b := any(m).([]float32), any(a).([]float32), any(b).([]float32)
		for i := range d {
			mb := int32(math.Float32bits(m[i]) &^ (1 << 31)) // 0 only for ±0
			k := uint32((mb | -mb) >> 31)                    // all ones when m[i] != 0
			d[i] = math.Float32frombits(math.Float32bits(a[i])&k | math.Float32bits(b[i])&^k)
		}
	case []float64:
		m, a, b := any(m).([]float64), any(a).([]float64), any(b).([]float64)
		for i := range d {
			mb := int64(math.Float64bits(m[i]) &^ (1 << 63))
			k := uint64((mb | -mb) >> 63)
			d[i] = math.Float64frombits(math.Float64bits(a[i])&k | math.Float64bits(b[i])&^k)
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
