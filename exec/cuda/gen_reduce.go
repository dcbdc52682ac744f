package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// group is a run of adjacent dims merged into one: row-major neighbours
// that are all reduced or all kept walk memory as a single dim.
type group struct {
	size, stride int
	reduced      bool
}

// reduction is a Reduce planned for the device: its dims merged, and the
// kernel form chosen.
type reduction struct {
	kind       nodes.ReduceKind
	in         *Expr // what is reduced
	dt         tensor.Dtype
	kept, red  []group // outer to inner
	rows       bool    // the reduced dims are one trailing block: a block per row
	nout, nred int
}

// planReduce merges the dims of a value of shape reduced over axes (sorted)
// and picks the kernel: one block per output row when the reduced elements
// of each output are contiguous and plentiful, else one thread per output
// walking its elements with strides (coalesced when the kept dims are
// inner).
func planReduce(kind nodes.ReduceKind, in *Expr, axes []int) reduction {
	shape, dt := in.Shape, in.Out()
	st := dense.Strides(shape)
	isRed := make([]bool, len(shape))
	for _, a := range axes {
		isRed[a] = true
	}
	var gs []group
	for d, n := range shape {
		if n == 1 {
			continue
		}
		if l := len(gs) - 1; l >= 0 && gs[l].reduced == isRed[d] && gs[l].stride == n*st[d] {
			gs[l] = group{gs[l].size * n, st[d], isRed[d]}
			continue
		}
		gs = append(gs, group{n, st[d], isRed[d]})
	}
	r := reduction{kind: kind, in: in, dt: dt, nout: 1, nred: 1}
	for _, g := range gs {
		if g.reduced {
			r.red = append(r.red, g)
			r.nred *= g.size
		} else {
			r.kept = append(r.kept, g)
			r.nout *= g.size
		}
	}
	trailing := len(r.red) == 0 || (len(r.red) == 1 && r.red[0].stride == 1)
	r.rows = trailing && (r.nred >= 64 || r.nout == 1)
	return r
}

// redOps is what a reduction combines with: the identity, the step and the
// final value (a the accumulator, n the element count).
func redOps(kind nodes.ReduceKind, dt tensor.Dtype) (init, comb, final string, err error) {
	i64 := dt == tensor.Int64
	switch kind {
	case nodes.RedSum:
		if i64 {
			return "0", "wadd(a, b)", "a", nil
		}
		return "0.0", "a + b", "a", nil
	case nodes.RedMean:
		if !i64 {
			return "0.0", "a + b", "a / (double)n", nil
		}
	case nodes.RedMax:
		if i64 {
			return "(i64)0x8000000000000000ull", "lmax(a, b)", "a", nil
		}
		return "-__longlong_as_double(0x7ff0000000000000ll)", "lmax(a, b)", "a", nil
	case nodes.RedMin:
		if i64 {
			return "(i64)0x7fffffffffffffffll", "lmin(a, b)", "a", nil
		}
		return "__longlong_as_double(0x7ff0000000000000ll)", "lmin(a, b)", "a", nil
	case nodes.RedLogSumExp:
		if !i64 {
			return "-__longlong_as_double(0x7ff0000000000000ll)", "lmax(a, b)", "a", nil
		}
	}
	return "", "", "", fmt.Errorf("%v does not take %v", kind, dt)
}

// blockAll emits a block-wide combine of v (every thread gets the result)
// for accumulator type t: warp shuffles, then one slot per warp in sh.
func blockAll(name, t, comb string) string {
	return fmt.Sprintf(`__device__ __forceinline__ %[2]s %[1]s(%[2]s a, %[2]s* sh) {
  for (int o = 16; o > 0; o >>= 1) { %[2]s b = __shfl_xor_sync(0xffffffffu, a, o); a = %[3]s; }
  if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = a;
  __syncthreads();
  a = sh[0];
  for (int w = 1; w < (int)(blockDim.x >> 5); w++) { %[2]s b = sh[w]; a = %[3]s; }
  __syncthreads();
  return a;
}
`, name, t, comb)
}

// Source is the reduction's kernel: "reduce_rows" (block per output) or
// "reduce_any" (thread per output), reading its input through ex_at.
func (r reduction) Source() (string, error) {
	init, comb, final, err := redOps(r.kind, r.dt)
	if err != nil {
		return "", err
	}
	t, acc := cType(r.dt), accType(r.dt)
	lse := r.kind == nodes.RedLogSumExp
	var b strings.Builder
	fmt.Fprintf(&b, "__device__ __forceinline__ %[1]s comb(%[1]s a, %[1]s b) { return %[2]s; }\n", acc, comb)
	if r.rows {
		b.WriteString(blockAll("block_comb", acc, "comb(a, b)"))
		if lse {
			b.WriteString(blockAll("block_sum", "double", "a + b"))
		}
		fmt.Fprintf(&b, "\nextern \"C\" __global__ void __launch_bounds__(%d) reduce_rows(const P p) {\n", blockSize)
		fmt.Fprintf(&b, "  __shared__ %s sh[32];\n", acc)
		if lse {
			b.WriteString("  __shared__ double shs[32];\n")
		}
		b.WriteString("  const i64 n = p.cols;\n")
		b.WriteString("  for (i64 r = blockIdx.x; r < p.rows; r += gridDim.x) {\n")
		b.WriteString("    const i64 base = r * p.cols;\n")
		fmt.Fprintf(&b, "    %s a = %s;\n", acc, init)
		fmt.Fprintf(&b, "    for (i64 j = threadIdx.x; j < n; j += blockDim.x) a = comb(a, (%s)ex_at(p, base + j));\n", acc)
		b.WriteString("    a = block_comb(a, sh);\n")
		if lse {
			b.WriteString("    if (!isinf(a) && !isnan(a)) {\n")
			b.WriteString("      double s = 0.0;\n")
			b.WriteString("      for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += exp((double)ex_at(p, base + j) - a);\n")
			b.WriteString("      a = a + log(block_sum(s, shs));\n    }\n")
		}
		fmt.Fprintf(&b, "    if (threadIdx.x == 0) p.out[r] = (%s)(%s);\n  }\n}\n", t, final)
		return r.in.source(fmt.Sprintf("  %s* out;\n  i64 rows;\n  i64 cols;\n", t), b.String())
	}
	nk, nr := max(len(r.kept), 1), max(len(r.red), 1)
	own := fmt.Sprintf("  %s* out;\n  i64 nout;\n  i64 nred;\n  i64 ks[%d];\n  i64 kst[%d];\n  i64 rs[%d];\n  i64 rst[%d];\n", t, nk, nk, nr, nr)
	fmt.Fprintf(&b, "\nextern \"C\" __global__ void __launch_bounds__(%d) reduce_any(const P p) {\n", blockSize)
	b.WriteString("  const i64 n = p.nred;\n  const i64 step = (i64)blockDim.x * gridDim.x;\n")
	b.WriteString("  for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < p.nout; o += step) {\n")
	b.WriteString("    i64 base = 0, q = o;\n")
	fmt.Fprintf(&b, "#pragma unroll\n    for (int d = %d; d >= 0; d--) { base += (q %% p.ks[d]) * p.kst[d]; q /= p.ks[d]; }\n", nk-1)
	walk := func(body string) string {
		return fmt.Sprintf(`    {
      i64 c[%[1]d] = {0};
      i64 off = base;
      for (i64 j = 0; j < n; j++) {
        %[2]s
#pragma unroll
        for (int d = %[3]d; d >= 0; d--) { off += p.rst[d]; if (++c[d] < p.rs[d]) break; off -= p.rs[d] * p.rst[d]; c[d] = 0; }
      }
    }
`, nr, body, nr-1)
	}
	fmt.Fprintf(&b, "    %s a = %s;\n", acc, init)
	b.WriteString(walk(fmt.Sprintf("a = comb(a, (%s)ex_at(p, off));", acc)))
	if lse {
		b.WriteString("    if (!isinf(a) && !isnan(a)) {\n      double s = 0.0;\n")
		b.WriteString(walk("s += exp((double)ex_at(p, off) - a);"))
		b.WriteString("      a = a + log(s);\n    }\n")
	}
	fmt.Fprintf(&b, "    p.out[o] = (%s)(%s);\n  }\n}\n", t, final)
	return r.in.source(own, b.String())
}

// launch is the reduction of the buffer x into out.
func (r reduction) launch(src string, out uint64, ptrs []uint64, sms int) launch {
	var p params
	p.ptr(out)
	if r.rows {
		p.int(r.nout)
		p.int(r.nred)
		r.in.pack(&p, ptrs)
		block := min(blockSize, max(32, (r.nred+31)/32*32))
		return launch{src: src, name: "reduce_rows", grid: max(1, min(r.nout, max(sms, 1)*64)), block: block, params: p}
	}
	p.int(r.nout)
	p.int(r.nred)
	nk, nr := max(len(r.kept), 1), max(len(r.red), 1)
	var ks, kst, rs, rst []int
	for _, g := range r.kept {
		ks, kst = append(ks, g.size), append(kst, g.stride)
	}
	for _, g := range r.red {
		rs, rst = append(rs, g.size), append(rst, g.stride)
	}
	if len(ks) == 0 {
		ks, kst = []int{1}, []int{0}
	}
	if len(rs) == 0 {
		rs, rst = []int{1}, []int{0}
	}
	p.ints(ks, nk)
	p.ints(kst, nk)
	p.ints(rs, nr)
	p.ints(rst, nr)
	r.in.pack(&p, ptrs)
	return launch{src: src, name: "reduce_any", grid: gridFor(r.nout, blockSize, sms), block: blockSize, params: p}
}
