package cuda

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// Every generated kernel takes one parameter: a struct whose fields are all
// 8 bytes wide (pointers, long long, double, and arrays of long long), so
// its layout is a sequence of 64-bit slots that the Go side fills in order
// (params). Shapes and strides travel in the struct; what changes the code
// (dtypes, ranks, operand broadcast modes, the op) is baked into the
// source, so one compiled module serves every size.

// launch is one kernel run: its source, entry point, 1-D grid and block,
// and the parameter struct.
type launch struct {
	src, name string
	grid      int
	block     int
	params    []uint64
}

// params builds a parameter struct slot by slot.
type params []uint64

func (p *params) ptr(v uint64)  { *p = append(*p, v) }
func (p *params) int(v int)     { *p = append(*p, uint64(int64(v))) }
func (p *params) f64(v float64) { *p = append(*p, math.Float64bits(v)) }
func (p *params) ints(vs []int, n int) {
	for k := 0; k < n; k++ {
		v := 0
		if k < len(vs) {
			v = vs[k]
		}
		p.int(v)
	}
}

// kernelName is the entry point a generated source defines.
func kernelName(src string) string {
	const mark = "__launch_bounds__("
	rest := src[strings.Index(src, mark)+len(mark):]
	rest = rest[strings.Index(rest, ")")+2:]
	return rest[:strings.Index(rest, "(")]
}

// maxRank is the most dims a generated kernel indexes; values of higher
// rank are reshaped first (dims merged) or rejected by Prepare.
const maxRank = 8

// threads per block for the grid-stride kernels.
const blockSize = 256

// gridFor covers n work items with blocks of block threads, capped at a
// few waves of the device (the kernels loop over the rest).
func gridFor(n, block, sms int) int {
	g := (n + block - 1) / block
	return max(1, min(g, max(sms, 1)*32))
}

// cType is the C type holding a dtype's elements.
func cType(dt tensor.Dtype) string {
	switch dt {
	case tensor.Float32:
		return "float"
	case tensor.Float64:
		return "double"
	case tensor.Int64:
		return "i64"
	case tensor.Bool:
		return "u8"
	}
	panic(fmt.Sprintf("exec/cuda: no C type for %v", dt))
}

// accType is what reductions accumulate in: double for floats (as the
// reference does), i64 for int64.
func accType(dt tensor.Dtype) string {
	if dt == tensor.Int64 {
		return "i64"
	}
	return "double"
}

// elemBytes is a dtype's element size on the device (Go's bool is a byte).
func elemBytes(dt tensor.Dtype) int {
	switch dt {
	case tensor.Float32:
		return 4
	case tensor.Bool:
		return 1
	}
	return 8
}

// lit is v as a C literal of dtype dt: float64(float32(v)) for float32 (the
// CPU backend's rounding of an op's constant), exact shortest decimal, and
// bit patterns for infinities and NaN.
func lit(v float64, dt tensor.Dtype) string {
	switch dt {
	case tensor.Float32:
		f := float32(v)
		switch {
		case f != f:
			return "__int_as_float(0x7fc00000)"
		case math.IsInf(float64(f), 0):
			return fmt.Sprintf("__int_as_float(0x%08x)", math.Float32bits(f))
		}
		return paren(decimal(float64(f), 32) + "f")
	case tensor.Float64:
		switch {
		case v != v:
			return "__longlong_as_double(0x7ff8000000000000ll)"
		case math.IsInf(v, 0):
			return fmt.Sprintf("__longlong_as_double(0x%016xll)", math.Float64bits(v))
		}
		return paren(decimal(v, 64))
	case tensor.Int64:
		return intLit(int64(v))
	case tensor.Bool:
		if v != 0 {
			return "(u8)1"
		}
		return "(u8)0"
	}
	panic(fmt.Sprintf("exec/cuda: no literal for %v", dt))
}

func decimal(v float64, bits int) string {
	s := strconv.FormatFloat(v, 'g', -1, bits)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func paren(s string) string {
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")"
	}
	return s
}

// intLit is an i64 literal, written so that MinInt64 needs no negation of
// an out-of-range constant.
func intLit(v int64) string {
	if v == math.MinInt64 {
		return "((i64)0x8000000000000000ull)"
	}
	if v < 0 {
		return fmt.Sprintf("((i64)%dll)", v)
	}
	return fmt.Sprintf("((i64)%dll)", v)
}

// prelude is included at the top of every kernel source: the integer types
// and the float helpers that give Go's (and the reference's) semantics
// where C's differ.
const prelude = `typedef long long i64;
typedef unsigned long long u64;
typedef unsigned char u8;

// Go's math.Max/Min: NaN if either is NaN, and +0 > -0.
__device__ __forceinline__ float lmax(float a, float b) { return (a != a || b != b) ? a + b : (a > b ? a : (b > a ? b : (signbit(a) ? b : a))); }
__device__ __forceinline__ double lmax(double a, double b) { return (a != a || b != b) ? a + b : (a > b ? a : (b > a ? b : (signbit(a) ? b : a))); }
__device__ __forceinline__ float lmin(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : (b < a ? b : (signbit(a) ? a : b))); }
__device__ __forceinline__ double lmin(double a, double b) { return (a != a || b != b) ? a + b : (a < b ? a : (b < a ? b : (signbit(a) ? a : b))); }
__device__ __forceinline__ i64 lmax(i64 a, i64 b) { return a > b ? a : b; }
__device__ __forceinline__ i64 lmin(i64 a, i64 b) { return a < b ? a : b; }
// max(x, 0) keeping NaN.
__device__ __forceinline__ float lrelu(float x) { return (x > 0.0f || x != x) ? x : 0.0f; }
__device__ __forceinline__ double lrelu(double x) { return (x > 0.0 || x != x) ? x : 0.0; }
// 1/(1+e^-x) without overflow.
__device__ __forceinline__ float lsigmoid(float x) { if (x >= 0.0f) return 1.0f / (1.0f + expf(-x)); float e = expf(x); return e / (1.0f + e); }
__device__ __forceinline__ double lsigmoid(double x) { if (x >= 0.0) return 1.0 / (1.0 + exp(-x)); double e = exp(x); return e / (1.0 + e); }
// Float to int64: toward zero, saturating, NaN is 0.
__device__ __forceinline__ i64 ltrunc(double x) { return x != x ? 0 : (x >= 9223372036854775807.0 ? (i64)0x7fffffffffffffffll : (x <= -9223372036854775808.0 ? (i64)0x8000000000000000ull : (i64)x)); }
// Wrapping int64 arithmetic, as Go's.
__device__ __forceinline__ i64 wadd(i64 a, i64 b) { return (i64)((u64)a + (u64)b); }
__device__ __forceinline__ i64 wsub(i64 a, i64 b) { return (i64)((u64)a - (u64)b); }
__device__ __forceinline__ i64 wmul(i64 a, i64 b) { return (i64)((u64)a * (u64)b); }
`
