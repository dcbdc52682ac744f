package dense

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Size is the number of elements of a shape (1 for a scalar).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Shape returns t's dims as a fresh []int (empty for a scalar).
func Shape(t *tensor.Dense) []int {
	s := t.Shape()
	out := make([]int, len(s))
	copy(out, s)
	return out
}

// Zeros returns a zero-filled contiguous tensor.
func Zeros(dt tensor.Dtype, shape []int) *tensor.Dense {
	n := Size(shape)
	var backing any
	switch dt {
	case tensor.Float32:
		backing = make([]float32, n)
	case tensor.Float64:
		backing = make([]float64, n)
	case tensor.Int64:
		backing = make([]int64, n)
	case tensor.Bool:
		backing = make([]bool, n)
	default:
		panic(fmt.Sprintf("dense: unsupported dtype %v", dt))
	}
	return tensor.New(tensor.WithShape(append([]int(nil), shape...)...), tensor.WithBacking(backing))
}

// Supported reports whether loom handles dtype dt.
func Supported(dt tensor.Dtype) bool {
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Bool:
		return true
	}
	return false
}

// Contiguous returns t itself when it is a plain row-major buffer, else a
// contiguous copy (views and transposed tensors are materialized).
func Contiguous(t *tensor.Dense) *tensor.Dense {
	if !t.IsView() && !t.IsMaterializable() {
		return t
	}
	out := Zeros(t.Dtype(), Shape(t))
	it := t.Iterator()
	i := 0
	for idx, err := it.Next(); err == nil; idx, err = it.Next() {
		setRaw(out, i, t, idx)
		i++
	}
	return out
}

func setRaw(dst *tensor.Dense, i int, src *tensor.Dense, j int) {
	switch dst.Dtype() {
	case tensor.Float32:
		dst.Float32s()[i] = src.Float32s()[j]
	case tensor.Float64:
		dst.Float64s()[i] = src.Float64s()[j]
	case tensor.Int64:
		dst.Int64s()[i] = src.Int64s()[j]
	case tensor.Bool:
		dst.Bools()[i] = src.Bools()[j]
	}
}

// Clone returns a contiguous copy of t that shares nothing with it.
func Clone(t *tensor.Dense) *tensor.Dense {
	t = Contiguous(t)
	out := Zeros(t.Dtype(), Shape(t))
	switch t.Dtype() {
	case tensor.Float32:
		copy(out.Float32s(), t.Float32s())
	case tensor.Float64:
		copy(out.Float64s(), t.Float64s())
	case tensor.Int64:
		copy(out.Int64s(), t.Int64s())
	case tensor.Bool:
		copy(out.Bools(), t.Bools())
	}
	return out
}

// F64 returns t's elements converted to float64 (bool: 0 or 1), row-major.
func F64(t *tensor.Dense) []float64 {
	t = Contiguous(t)
	switch t.Dtype() {
	case tensor.Float64:
		return append([]float64(nil), t.Float64s()...)
	case tensor.Float32:
		src := t.Float32s()
		out := make([]float64, len(src))
		for i, v := range src {
			out[i] = float64(v)
		}
		return out
	case tensor.Int64:
		src := t.Int64s()
		out := make([]float64, len(src))
		for i, v := range src {
			out[i] = float64(v)
		}
		return out
	case tensor.Bool:
		src := t.Bools()
		out := make([]float64, len(src))
		for i, v := range src {
			if v {
				out[i] = 1
			}
		}
		return out
	}
	panic(fmt.Sprintf("dense: unsupported dtype %v", t.Dtype()))
}

// I64 returns t's elements as int64 (floats truncated toward zero, bool 0/1).
func I64(t *tensor.Dense) []int64 {
	t = Contiguous(t)
	if t.Dtype() == tensor.Int64 {
		return append([]int64(nil), t.Int64s()...)
	}
	f := F64(t)
	out := make([]int64, len(f))
	for i, v := range f {
		out[i] = int64(v)
	}
	return out
}

// Bools returns t's elements as bool (nonzero is true).
func Bools(t *tensor.Dense) []bool {
	t = Contiguous(t)
	if t.Dtype() == tensor.Bool {
		return append([]bool(nil), t.Bools()...)
	}
	f := F64(t)
	out := make([]bool, len(f))
	for i, v := range f {
		out[i] = v != 0
	}
	return out
}

// FromF64 builds a tensor of dtype dt from float64 data, rounding once to dt
// (the reference computes in float64 and rounds at the end of each op).
func FromF64(dt tensor.Dtype, shape []int, data []float64) *tensor.Dense {
	out := Zeros(dt, shape)
	switch dt {
	case tensor.Float64:
		copy(out.Float64s(), data)
	case tensor.Float32:
		dst := out.Float32s()
		for i, v := range data {
			dst[i] = float32(v)
		}
	case tensor.Int64:
		dst := out.Int64s()
		for i, v := range data {
			dst[i] = int64(v)
		}
	case tensor.Bool:
		dst := out.Bools()
		for i, v := range data {
			dst[i] = v != 0
		}
	}
	return out
}

// FromI64 builds an int64 tensor owning a copy of data.
func FromI64(shape []int, data []int64) *tensor.Dense {
	out := Zeros(tensor.Int64, shape)
	copy(out.Int64s(), data)
	return out
}

// FromBools builds a bool tensor owning a copy of data.
func FromBools(shape []int, data []bool) *tensor.Dense {
	out := Zeros(tensor.Bool, shape)
	copy(out.Bools(), data)
	return out
}

// Strides returns row-major strides (in elements) for shape.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for k := len(shape) - 1; k >= 0; k-- {
		st[k] = s
		s *= shape[k]
	}
	return st
}

// BatchStrides gives a batched matrix operand's element stride along each
// logical batch dim (all but its last two): logical dim j is physical dim
// perm[j] (nil: the identity), and a size-1 dim, broadcast, has stride 0.
// It is how a backend reads BatchMatMul's operands in place.
func BatchStrides(shape, perm []int) []int {
	nb := len(shape) - 2
	st := Strides(shape)
	out := make([]int, nb)
	for j := range out {
		p := j
		if perm != nil {
			p = perm[j]
		}
		if shape[p] != 1 {
			out[j] = st[p]
		}
	}
	return out
}

// Take returns the sub-tensor t[..., idx, ...] with dim `dim` removed, as a
// contiguous copy.
func Take(t *tensor.Dense, dim, idx int) *tensor.Dense {
	t = Contiguous(t)
	shape := Shape(t)
	outer := Size(shape[:dim])
	inner := Size(shape[dim+1:])
	n := shape[dim]
	outShape := append(append([]int{}, shape[:dim]...), shape[dim+1:]...)
	out := Zeros(t.Dtype(), outShape)
	for o := 0; o < outer; o++ {
		copyRange(out, o*inner, t, (o*n+idx)*inner, inner)
	}
	return out
}

// Put writes src (shape of dst with dim removed) into dst[..., idx, ...].
func Put(dst *tensor.Dense, dim, idx int, src *tensor.Dense) {
	src = Contiguous(src)
	shape := Shape(dst)
	outer := Size(shape[:dim])
	inner := Size(shape[dim+1:])
	n := shape[dim]
	for o := 0; o < outer; o++ {
		copyRange(dst, (o*n+idx)*inner, src, o*inner, inner)
	}
}

func copyRange(dst *tensor.Dense, di int, src *tensor.Dense, si, n int) {
	switch dst.Dtype() {
	case tensor.Float32:
		copy(dst.Float32s()[di:di+n], src.Float32s()[si:si+n])
	case tensor.Float64:
		copy(dst.Float64s()[di:di+n], src.Float64s()[si:si+n])
	case tensor.Int64:
		copy(dst.Int64s()[di:di+n], src.Int64s()[si:si+n])
	case tensor.Bool:
		copy(dst.Bools()[di:di+n], src.Bools()[si:si+n])
	}
}

// CopyElems copies n elements from src[si:] to dst[di:]; both must share a dtype.
func CopyElems(dst *tensor.Dense, di int, src *tensor.Dense, si, n int) {
	copyRange(dst, di, Contiguous(src), si, n)
}

// Backing identifies t's buffer, so callers can tell when two tensors (a
// value and a copy-free reshape of it) share memory; 0 for an empty tensor.
func Backing(t *tensor.Dense) uintptr {
	if t == nil || t.Size() == 0 {
		return 0
	}
	return t.Uintptr()
}

// Raw returns t's backing slice ([]float32, []float64, []int64 or []bool),
// also for a rank-0 tensor (whose Data() is a scalar, not a slice).
func Raw(t *tensor.Dense) any {
	switch t.Dtype() {
	case tensor.Float32:
		return t.Float32s()
	case tensor.Float64:
		return t.Float64s()
	case tensor.Int64:
		return t.Int64s()
	case tensor.Bool:
		return t.Bools()
	}
	return t.Data()
}
