package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// softmax is a (log-)softmax along one dim of a value seen as
// [outer, n, inner]: with inner = 1 a block takes each row (coalesced),
// else a thread takes each line, its neighbours taking the neighbouring
// lines (coalesced across the block).
type softmax struct {
	in              *Expr // what the softmax is of
	dt              tensor.Dtype
	log             bool
	outer, n, inner int
}

func planSoftmax(in *Expr, log bool, axis int) softmax {
	shape := in.Shape
	s := softmax{in: in, dt: in.Out(), log: log, outer: 1, n: shape[axis], inner: 1}
	for _, d := range shape[:axis] {
		s.outer *= d
	}
	for _, d := range shape[axis+1:] {
		s.inner *= d
	}
	return s
}

func (s softmax) rows() bool { return s.inner == 1 }

// smHelpers: the running (max, sum of e^(x-max)) pair of the online
// softmax, pushed one element at a time and merged pairwise. A NaN max
// sticks (every output is then NaN, as in the reference); -Inf elements add
// nothing. An infinite final max makes the kernel shift by 0 instead (the
// reference's rule), which needs one more pass — only then.
func smHelpers(a, exp string) string {
	return fmt.Sprintf(`
__device__ __forceinline__ void push(%[1]s& m, %[1]s& s, %[1]s x) {
  if (x != x) { m = x; return; }
  if (isinf(x) && x < 0) return;
  if (x > m) { s = s * %[2]s(m - x) + 1; m = x; } else { s += %[2]s(x - m); }
}
__device__ __forceinline__ void merge(%[1]s& m, %[1]s& s, %[1]s m2, %[1]s s2) {
  if (m != m || m2 != m2) { if (m == m) m = m2; return; }
  if (isinf(m2) && m2 < 0) return;
  if (isinf(m) && m < 0) { m = m2; s = s2; return; }
  if (m2 > m) { s = s * %[2]s(m - m2) + s2; m = m2; } else { s += s2 * %[2]s(m2 - m); }
}
`, a, exp)
}

// Source is the kernel "softmax_rows" or "softmax_lines", reading its
// input through ex_at. Float32 works in float (the exp is the one with ≤ 2
// ulp error), float64 in double.
func (s softmax) Source() (string, error) {
	if s.dt != tensor.Float32 && s.dt != tensor.Float64 {
		return "", fmt.Errorf("softmax does not take %v", s.dt)
	}
	t := cType(s.dt)
	exp, lg := "exp", "log"
	if s.dt == tensor.Float32 {
		exp, lg = "expf", "logf"
	}
	var b strings.Builder
	b.WriteString(smHelpers(t, exp))
	// write is the second pass over a row: out = e^(x-m)/s, or x - (m + log s).
	write := func(ind, idx string) string {
		if s.log {
			return fmt.Sprintf("%[1]s{ const %[2]s l = m + %[3]s(sum); for (i64 j = %[4]s) y[j * st] = ex_at(p, base + j * st) - l; }\n", ind, t, lg, idx)
		}
		return fmt.Sprintf("%[1]sfor (i64 j = %[2]s) y[j * st] = %[3]s(ex_at(p, base + j * st) - m) / sum;\n", ind, idx, exp)
	}
	if s.rows() {
		fmt.Fprintf(&b, `
extern "C" __global__ void __launch_bounds__(%[2]d) softmax_rows(const P p) {
  __shared__ %[1]s shm[32];
  __shared__ %[1]s shs[32];
  const i64 st = 1;
  for (i64 r = blockIdx.x; r < p.rows; r += gridDim.x) {
    const i64 base = r * p.n;
    %[1]s* y = p.out + base;
    %[1]s m = -__longlong_as_double(0x7ff0000000000000ll), sum = 0;
    for (i64 j = threadIdx.x; j < p.n; j += blockDim.x) push(m, sum, ex_at(p, base + j));
    for (int o = 16; o > 0; o >>= 1) {
      %[1]s m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, sum, o);
      merge(m, sum, m2, s2);
    }
    if ((threadIdx.x & 31) == 0) { shm[threadIdx.x >> 5] = m; shs[threadIdx.x >> 5] = sum; }
    __syncthreads();
    m = shm[0]; sum = shs[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); w++) merge(m, sum, shm[w], shs[w]);
    __syncthreads();
    if (isinf(m)) {
      %[1]s z = 0;
      for (i64 j = threadIdx.x; j < p.n; j += blockDim.x) z += %[3]s(ex_at(p, base + j));
      for (int o = 16; o > 0; o >>= 1) z += __shfl_xor_sync(0xffffffffu, z, o);
      if ((threadIdx.x & 31) == 0) shs[threadIdx.x >> 5] = z;
      __syncthreads();
      sum = shs[0];
      for (int w = 1; w < (int)(blockDim.x >> 5); w++) sum += shs[w];
      __syncthreads();
      m = 0;
    }
`, t, blockSize, exp)
		b.WriteString(write("    ", "threadIdx.x; j < p.n; j += blockDim.x"))
		b.WriteString("  }\n}\n")
		b.WriteString(s.warpKernel(t, exp, lg))
		return s.in.source(fmt.Sprintf("  %s* out;\n  i64 rows;\n  i64 n;\n", t), b.String())
	}
	fmt.Fprintf(&b, `
extern "C" __global__ void __launch_bounds__(%[2]d) softmax_lines(const P p) {
  const i64 st = p.inner, lines = p.outer * p.inner, step = (i64)blockDim.x * gridDim.x;
  for (i64 l = (i64)blockIdx.x * blockDim.x + threadIdx.x; l < lines; l += step) {
    const i64 base = (l / p.inner) * p.n * p.inner + l %% p.inner;
    %[1]s* y = p.out + base;
    %[1]s m = -__longlong_as_double(0x7ff0000000000000ll), sum = 0;
    for (i64 j = 0; j < p.n; j++) push(m, sum, ex_at(p, base + j * st));
    if (isinf(m)) {
      sum = 0;
      for (i64 j = 0; j < p.n; j++) sum += %[3]s(ex_at(p, base + j * st));
      m = 0;
    }
`, t, blockSize, exp)
	b.WriteString(write("    ", "0; j < p.n; j++"))
	b.WriteString("  }\n}\n")
	return s.in.source(fmt.Sprintf("  %s* out;\n  i64 outer;\n  i64 n;\n  i64 inner;\n", t), b.String())
}

// warpRow is the longest row softmax_warp takes: a warp holds the row in
// registers, warpRow/32 elements a lane.
const warpRow = 1024

// warpKernel is softmax_warp: one warp per row of at most warpRow
// elements, held in registers, so the row is read once and written once
// with no block barrier (a block per row of 1024 keeps too few loads in
// flight to reach HBM bandwidth). A NaN max sticks; an infinite max shifts
// by 0 (the reference's rule, as in softmax_rows).
func (s softmax) warpKernel(t, exp, lg string) string {
	write := fmt.Sprintf("y[j] = %s(v[k] - m) / sum;", exp)
	if s.log {
		write = "y[j] = v[k] - l;"
	}
	return fmt.Sprintf(`
extern "C" __global__ void __launch_bounds__(%[2]d) softmax_warp(const P p) {
  const int lane = threadIdx.x & 31;
  const i64 warps = ((i64)blockDim.x >> 5) * gridDim.x;
  const %[1]s ninf = -__longlong_as_double(0x7ff0000000000000ll);
  for (i64 r = ((i64)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < p.rows; r += warps) {
    const i64 base = r * p.n;
    %[1]s* y = p.out + base;
    %[1]s v[%[5]d];
    %[1]s m = ninf;
#pragma unroll
    for (int k = 0; k < %[5]d; k++) {
      const i64 j = lane + 32 * k;
      v[k] = j < p.n ? ex_at(p, base + j) : ninf;
      if (m == m && (v[k] != v[k] || v[k] > m)) m = v[k];
    }
    for (int o = 16; o > 0; o >>= 1) {
      const %[1]s m2 = __shfl_xor_sync(0xffffffffu, m, o);
      if (m == m && (m2 != m2 || m2 > m)) m = m2;
    }
    if (isinf(m)) m = 0;
    %[1]s sum = 0;
#pragma unroll
    for (int k = 0; k < %[5]d; k++) if (lane + 32 * k < p.n) sum += %[3]s(v[k] - m);
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    const %[1]s l = m + %[4]s(sum);
    (void)l;
#pragma unroll
    for (int k = 0; k < %[5]d; k++) { const i64 j = lane + 32 * k; if (j < p.n) %[6]s }
  }
}
`, t, blockSize, exp, lg, warpRow/32, write)
}

func (s softmax) launch(src string, out uint64, ptrs []uint64, sms int) launch {
	var p params
	p.ptr(out)
	if s.rows() {
		p.int(s.outer)
		p.int(s.n)
		s.in.pack(&p, ptrs)
		if s.n <= warpRow && strings.Contains(src, " softmax_warp(") {
			rows := (s.outer + blockSize/32 - 1) / (blockSize / 32)
			return launch{src: src, name: "softmax_warp", grid: max(1, min(rows, max(sms, 1)*32)), block: blockSize, params: p}
		}
		block := min(blockSize, max(32, (s.n+31)/32*32))
		return launch{src: src, name: "softmax_rows", grid: max(1, min(s.outer, max(sms, 1)*64)), block: block, params: p}
	}
	p.int(s.outer)
	p.int(s.n)
	p.int(s.inner)
	s.in.pack(&p, ptrs)
	return launch{src: src, name: "softmax_lines", grid: gridFor(s.outer*s.inner, blockSize, sms), block: blockSize, params: p}
}
