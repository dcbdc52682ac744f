package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// InstrKind selects what an Instr computes.
type InstrKind uint8

// The instruction kinds: the elementwise ops of package nodes.
const (
	ILoad   InstrKind = iota // operand In at this element
	IConst                   // the scalar C
	IUnary                   // nodes.Unary of Args[0] (constant C)
	IBinary                  // nodes.Binary of Args[0], Args[1]
	IWhere                   // Args[0] ? Args[1] : Args[2]
	ICast                    // Args[0] converted to DType
)

// Instr is one step of an Expr; Args index earlier steps.
type Instr struct {
	Kind  InstrKind
	In    int
	Un    nodes.UnaryKind
	Bin   nodes.BinaryKind
	C     float64
	Args  []int
	DType tensor.Dtype // the step's result dtype
}

// Operand is an input of an Expr: its element stride along each dim of the
// Expr's shape, 0 along dims it repeats over.
type Operand struct {
	DType  tensor.Dtype
	Stride []int
}

// Expr is a fused elementwise computation over Shape: the last step's value
// at every element, written once; every operand is read once per element.
type Expr struct {
	Shape []int
	In    []Operand
	Code  []Instr
}

// access is how a kernel reads an operand.
type access uint8

const (
	full    access = iota // element i
	scalar                // element 0
	repeat                // element i mod m: a trailing block repeated
	strided               // Σ coord·stride over the dims
)

// mode classifies operand k of e.
func (e *Expr) mode(k int) access {
	st, want := e.In[k].Stride, dense.Strides(e.Shape)
	if sameStrides(e.Shape, st, want) || dense.Size(e.Shape) <= 1 {
		return full
	}
	j := 0
	for j < len(st) && (st[j] == 0 || e.Shape[j] == 1) {
		j++
	}
	if j == len(st) {
		return scalar
	}
	if sameStrides(e.Shape[j:], st[j:], dense.Strides(e.Shape[j:])) {
		return repeat
	}
	return strided
}

// sameStrides compares strides along the dims of shape that have more
// than one index (a size-1 dim's stride is never used).
func sameStrides(shape, a, b []int) bool {
	for d, n := range shape {
		if n != 1 && a[d] != b[d] {
			return false
		}
	}
	return true
}

// Check validates e: operand indices, argument counts and order, dtypes a
// kernel can hold, and rank.
func (e *Expr) Check() error {
	if len(e.Code) == 0 {
		return fmt.Errorf("empty expression")
	}
	if len(e.Shape) > maxRank {
		return fmt.Errorf("rank %d exceeds %d", len(e.Shape), maxRank)
	}
	for k, in := range e.In {
		if len(in.Stride) != len(e.Shape) {
			return fmt.Errorf("operand %d has %d strides for rank %d", k, len(in.Stride), len(e.Shape))
		}
		if !supportedDtype(in.DType) {
			return fmt.Errorf("operand %d has dtype %v", k, in.DType)
		}
	}
	want := map[InstrKind]int{ILoad: 0, IConst: 0, IUnary: 1, IBinary: 2, IWhere: 3, ICast: 1}
	for k, ins := range e.Code {
		n, ok := want[ins.Kind]
		if !ok || len(ins.Args) != n {
			return fmt.Errorf("step %d: kind %d with %d args", k, ins.Kind, len(ins.Args))
		}
		for _, a := range ins.Args {
			if a < 0 || a >= k {
				return fmt.Errorf("step %d reads step %d", k, a)
			}
		}
		if ins.Kind == ILoad && (ins.In < 0 || ins.In >= len(e.In) || e.In[ins.In].DType != ins.DType) {
			return fmt.Errorf("step %d loads operand %d as %v", k, ins.In, ins.DType)
		}
		if !supportedDtype(ins.DType) {
			return fmt.Errorf("step %d has dtype %v", k, ins.DType)
		}
	}
	return nil
}

func supportedDtype(dt tensor.Dtype) bool {
	return dt == tensor.Float32 || dt == tensor.Float64 || dt == tensor.Int64 || dt == tensor.Bool
}

// Out is the result's dtype.
func (e *Expr) Out() tensor.Dtype { return e.Code[len(e.Code)-1].DType }

// Every kernel reads its input through an Expr: a plain buffer is the
// expression of one full load (plainInput), a fused chain is its code. The
// kernel's parameter struct P holds its own fields first, then the
// expression's (fields), and the device function ex_at(p, i) computes the
// expression at linear element i of its shape.

// plainInput reads a contiguous buffer of dtype dt and shape.
func plainInput(dt tensor.Dtype, shape []int) *Expr {
	return &Expr{Shape: shape, In: []Operand{{DType: dt, Stride: dense.Strides(shape)}}, Code: []Instr{{Kind: ILoad, DType: dt}}}
}

// fields declares the expression's part of the parameter struct: the
// operands' pointers, then each one's repeat length or strides, then the
// shape when an operand is strided.
func (e *Expr) fields() string {
	var b strings.Builder
	for k, in := range e.In {
		fmt.Fprintf(&b, "  const %s* a%d;\n", cType(in.DType), k)
	}
	rank := max(len(e.Shape), 1)
	for k := range e.In {
		switch e.mode(k) {
		case repeat:
			fmt.Fprintf(&b, "  i64 m%d;\n", k)
		case strided:
			fmt.Fprintf(&b, "  i64 st%d[%d];\n", k, rank)
		}
	}
	if e.anyStrided() {
		fmt.Fprintf(&b, "  i64 shape[%d];\n", rank)
	}
	return b.String()
}

func (e *Expr) anyStrided() bool {
	for k := range e.In {
		if e.mode(k) == strided {
			return true
		}
	}
	return false
}

// at is the device function ex_at(p, i): the expression at element i.
func (e *Expr) at() (string, error) { return e.atFn(false) }

// atFn writes ex_at, or with vec its twin ex_v(p, i, v0, v1, ...), which
// takes the full operands' elements as arguments (loaded four at a time by
// the vector kernel) and reads only the scalars itself.
func (e *Expr) atFn(vec bool) (string, error) {
	if err := e.Check(); err != nil {
		return "", err
	}
	var b strings.Builder
	if vec {
		fmt.Fprintf(&b, "__device__ __forceinline__ %s ex_v(const P& p, i64 i", cType(e.Out()))
		for k, in := range e.In {
			if e.mode(k) == full {
				fmt.Fprintf(&b, ", %s v%d", cType(in.DType), k)
			}
		}
		b.WriteString(") {\n")
	} else {
		fmt.Fprintf(&b, "__device__ __forceinline__ %s ex_at(const P& p, i64 i) {\n", cType(e.Out()))
	}
	if e.anyStrided() {
		rank := max(len(e.Shape), 1)
		fmt.Fprintf(&b, "  i64 c[%d];\n  i64 r = i;\n", rank)
		fmt.Fprintf(&b, "#pragma unroll\n  for (int d = %d; d >= 0; d--) { c[d] = r %% p.shape[d]; r /= p.shape[d]; }\n", rank-1)
	}
	for k, ins := range e.Code {
		v, err := e.instr(ins)
		if err != nil {
			return "", fmt.Errorf("step %d: %v", k, err)
		}
		if vec && ins.Kind == ILoad && e.mode(ins.In) == full {
			v = fmt.Sprintf("v%d", ins.In)
		}
		fmt.Fprintf(&b, "  const %s t%d = %s;\n", cType(ins.DType), k, v)
	}
	fmt.Fprintf(&b, "  return t%d;\n}\n", len(e.Code)-1)
	return b.String(), nil
}

// source assembles a kernel: the prelude, struct P (the kernel's own
// fields, then the expression's), ex_at, then body.
func (e *Expr) source(own, body string) (string, error) {
	at, err := e.at()
	if err != nil {
		return "", err
	}
	return prelude + "\nstruct P {\n" + own + e.fields() + "};\n\n" + at + "\n" + body, nil
}

// pack appends the expression's fields (ptrs are the operands' buffers).
func (e *Expr) pack(p *params, ptrs []uint64) {
	for _, q := range ptrs {
		p.ptr(q)
	}
	rank := max(len(e.Shape), 1)
	for k, in := range e.In {
		switch e.mode(k) {
		case repeat:
			j := 0
			for j < len(in.Stride) && (in.Stride[j] == 0 || e.Shape[j] == 1) {
				j++
			}
			p.int(dense.Size(e.Shape[j:]))
		case strided:
			p.ints(in.Stride, rank)
		}
	}
	if e.anyStrided() {
		p.ints(e.Shape, rank)
	}
}

// ewUnroll is how many elements a thread of the elementwise kernel has in
// flight: a memory-bound kernel needs several independent loads per thread
// to cover HBM latency (one per thread leaves an H100 near half its
// bandwidth).
const ewUnroll = 4

// Source is the elementwise kernel "ew": out[i] = ex_at(p, i) over the
// shape, with a grid-stride loop that computes ewUnroll elements, a grid
// stride apart (each warp's accesses stay coalesced), before storing any.
// The loads all come before the stores, and each element is read and
// written by one thread, so the result may overwrite an operand.
func (e *Expr) Source() (string, error) {
	if err := e.Check(); err != nil {
		return "", err
	}
	ct := cType(e.Out())
	own := fmt.Sprintf("  %s* out;\n  i64 n;\n", ct)
	body := fmt.Sprintf(`extern "C" __global__ void __launch_bounds__(%[1]d) ew(const P p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i0 = (i64)blockIdx.x * blockDim.x + threadIdx.x; i0 < p.n; i0 += %[2]d * step) {
    %[3]s v[%[2]d];
#pragma unroll
    for (int u = 0; u < %[2]d; u++) { const i64 i = i0 + u * step; if (i < p.n) v[u] = ex_at(p, i); }
#pragma unroll
    for (int u = 0; u < %[2]d; u++) { const i64 i = i0 + u * step; if (i < p.n) p.out[i] = v[u]; }
  }
}
`, blockSize, ewUnroll, ct)
	if e.vectorizable() {
		v, err := e.atFn(true)
		if err != nil {
			return "", err
		}
		body += "\n" + v + e.vectorKernel()
	}
	return e.source(own, body)
}

// vectorizable reports expressions the vector kernel ew4 can compute: a
// float32 result from float32 operands read whole, and scalars. ew4 moves
// 16 bytes per load and store (float4), so a memory-bound chain needs a
// quarter of the instructions; launch picks it when the length is a
// multiple of 4 and every buffer is 16-byte aligned.
func (e *Expr) vectorizable() bool {
	if e.Out() != tensor.Float32 {
		return false
	}
	for k, in := range e.In {
		switch e.mode(k) {
		case scalar:
		case full:
			if in.DType != tensor.Float32 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// vectorKernel is ew4: element 4q..4q+3 per step of a grid-stride loop,
// loaded and stored as float4 (each thread writes only what it read, so
// the result may overwrite an operand).
func (e *Expr) vectorKernel() string {
	var b strings.Builder
	fmt.Fprintf(&b, `extern "C" __global__ void __launch_bounds__(%d) ew4(const P p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  const i64 n4 = p.n >> 2;
  for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < n4; q += step) {
`, blockSize)
	var args [4]string
	for k := range e.In {
		if e.mode(k) != full {
			continue
		}
		fmt.Fprintf(&b, "    const float4 x%d = reinterpret_cast<const float4*>(p.a%d)[q];\n", k, k)
		for u, c := range []string{"x", "y", "z", "w"} {
			args[u] += fmt.Sprintf(", x%d.%s", k, c)
		}
	}
	b.WriteString("    float4 y;\n")
	for u, c := range []string{"x", "y", "z", "w"} {
		fmt.Fprintf(&b, "    y.%s = ex_v(p, 4 * q + %d%s);\n", c, u, args[u])
	}
	b.WriteString("    reinterpret_cast<float4*>(p.out)[q] = y;\n  }\n}\n")
	return b.String()
}

// launch is the ew kernel writing out from operands ptrs.
func (e *Expr) launch(src string, out uint64, ptrs []uint64, sms int) launch {
	n := dense.Size(e.Shape)
	var p params
	p.ptr(out)
	p.int(n)
	e.pack(&p, ptrs)
	if n%4 == 0 && out%16 == 0 && e.vectorizable() && strings.Contains(src, " ew4(") {
		aligned := true
		for k, q := range ptrs {
			if e.mode(k) == full && q%16 != 0 {
				aligned = false
			}
		}
		if aligned {
			return launch{src: src, name: "ew4", grid: gridFor(n/4, blockSize, sms), block: blockSize, params: p}
		}
	}
	return launch{src: src, name: "ew", grid: gridFor(n, blockSize, sms), block: blockSize, params: p}
}
