package cuda

import (
	"fmt"
	"strings"
)

// elemC is the C type that moves an element of esize bytes.
func elemC(esize int) string {
	switch esize {
	case 1:
		return "u8"
	case 4:
		return "unsigned int"
	}
	return "u64"
}

// strideCopy is dst[doff + Σ c·ds] = src[soff + Σ c·ss] over every index c
// of shape: transposes, broadcasts, slices and the pieces of Concat and
// Stack are all this one kernel.
type strideCopy struct {
	esize      int
	shape      []int
	ss, ds     []int // element strides
	soff, doff int
}

// merged drops size-1 dims and merges neighbours both sides walk as one.
func (c strideCopy) merged() strideCopy {
	out := strideCopy{esize: c.esize, soff: c.soff, doff: c.doff}
	for d, n := range c.shape {
		if n == 1 {
			continue
		}
		if l := len(out.shape) - 1; l >= 0 && out.ss[l] == c.ss[d]*n && out.ds[l] == c.ds[d]*n {
			out.shape[l] *= n
			out.ss[l], out.ds[l] = c.ss[d], c.ds[d]
			continue
		}
		out.shape = append(out.shape, n)
		out.ss = append(out.ss, c.ss[d])
		out.ds = append(out.ds, c.ds[d])
	}
	if len(out.shape) == 0 {
		out.shape, out.ss, out.ds = []int{1}, []int{0}, []int{0}
	}
	return out
}

func (c strideCopy) Source() (string, error) {
	r := len(c.shape)
	if r > maxRank {
		return "", fmt.Errorf("copy of rank %d exceeds %d", r, maxRank)
	}
	e := elemC(c.esize)
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct cp_p { %[1]s* dst; const %[1]s* src; i64 n; i64 soff; i64 doff; i64 shape[%[2]d]; i64 ss[%[2]d]; i64 ds[%[2]d]; };

extern "C" __global__ void __launch_bounds__(%[3]d) copy(const cp_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 q = i, so = p.soff, dof = p.doff;
#pragma unroll
    for (int d = %[4]d; d >= 0; d--) { const i64 k = q %% p.shape[d]; q /= p.shape[d]; so += k * p.ss[d]; dof += k * p.ds[d]; }
    p.dst[dof] = p.src[so];
  }
}
`, e, r, blockSize, r-1)
	return b.String(), nil
}

func (c strideCopy) launch(src string, dst, from uint64, sms int) launch {
	n := 1
	for _, d := range c.shape {
		n *= d
	}
	r := len(c.shape)
	var p params
	p.ptr(dst)
	p.ptr(from)
	p.int(n)
	p.int(c.soff)
	p.int(c.doff)
	p.ints(c.shape, r)
	p.ints(c.ss, r)
	p.ints(c.ds, r)
	return launch{src: src, name: "copy", grid: gridFor(n, blockSize, sms), block: blockSize, params: p}
}

// gather is graph.Gather: x seen as [outer, d, inner], one index (an int64
// on the device) along d. An index out of range sets flag[0] and stores it
// in flag[1]; nothing is written then.
type gather struct {
	esize           int
	outer, d, inner int
}

func (g gather) Source() (string, error) {
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct ga_p { %[1]s* dst; const %[1]s* src; const i64* idx; i64* flag; i64 n; i64 d; i64 inner; };

extern "C" __global__ void __launch_bounds__(%[2]d) gather(const ga_p p) {
  const i64 v = p.idx[0];
  if (v < 0 || v >= p.d) {
    if (blockIdx.x == 0 && threadIdx.x == 0) { p.flag[0] = 1; p.flag[1] = v; }
    return;
  }
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    p.dst[i] = p.src[((i / p.inner) * p.d + v) * p.inner + i %% p.inner];
  }
}
`, elemC(g.esize), blockSize)
	return b.String(), nil
}

func (g gather) launch(src string, dst, x, idx, flag uint64, sms int) launch {
	n := g.outer * g.inner
	var p params
	p.ptr(dst)
	p.ptr(x)
	p.ptr(idx)
	p.ptr(flag)
	p.int(n)
	p.int(g.d)
	p.int(g.inner)
	return launch{src: src, name: "gather", grid: gridFor(max(n, 1), blockSize, sms), block: blockSize, params: p}
}

// take is graph.TakeOp with its index math made linear: output element c
// reads x at Σ c·xc + v·xst where v = idx[Σ c·ic] (ic is 0 along output
// dims the index does not vary with). The first out-of-range index found
// (by any thread) is stored in flag[1], flag[0] set.
type take struct {
	esize     int
	shape     []int // output
	xc, ic    []int
	xst, size int // x's stride along the taken dim, and its size
}

func (t take) Source() (string, error) {
	r := max(len(t.shape), 1)
	if r > maxRank {
		return "", fmt.Errorf("take of rank %d exceeds %d", r, maxRank)
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct tk_p { %[1]s* dst; const %[1]s* src; const i64* idx; i64* flag; i64 n; i64 d; i64 xst; i64 shape[%[2]d]; i64 xc[%[2]d]; i64 ic[%[2]d]; };

extern "C" __global__ void __launch_bounds__(%[3]d) take(const tk_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 q = i, xo = 0, io = 0;
#pragma unroll
    for (int d = %[4]d; d >= 0; d--) { const i64 k = q %% p.shape[d]; q /= p.shape[d]; xo += k * p.xc[d]; io += k * p.ic[d]; }
    const i64 v = p.idx[io];
    if (v < 0 || v >= p.d) {
      if (atomicCAS((u64*)p.flag, 0ull, 1ull) == 0ull) p.flag[1] = v;
      continue;
    }
    p.dst[i] = p.src[xo + v * p.xst];
  }
}
`, elemC(t.esize), r, blockSize, r-1)
	return b.String(), nil
}

func (t take) launch(src string, dst, x, idx, flag uint64, sms int) launch {
	r := max(len(t.shape), 1)
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	shape, xc, ic := t.shape, t.xc, t.ic
	if len(shape) == 0 {
		shape, xc, ic = []int{1}, []int{0}, []int{0}
	}
	var p params
	p.ptr(dst)
	p.ptr(x)
	p.ptr(idx)
	p.ptr(flag)
	p.int(n)
	p.int(t.size)
	p.int(t.xst)
	p.ints(shape, r)
	p.ints(xc, r)
	p.ints(ic, r)
	return launch{src: src, name: "take", grid: gridFor(max(n, 1), blockSize, sms), block: blockSize, params: p}
}

// gemmPtrs writes the matrix pointers of a batched GEMM: entry i of each
// array is its base plus the byte offset of batch index i (strides 0 along
// a broadcast batch dim, permuted where the optimizer absorbed a
// transpose).
type gemmPtrs struct {
	shape      []int // batch dims
	as, bs, cs []int // byte strides
}

func (g gemmPtrs) Source() (string, error) {
	r := max(len(g.shape), 1)
	if r > maxRank {
		return "", fmt.Errorf("%d batch dims exceed %d", r, maxRank)
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct gp_p { u64* pa; u64* pb; u64* pc; u64 a; u64 b; u64 c; i64 batch; i64 shape[%[1]d]; i64 as[%[1]d]; i64 bs[%[1]d]; i64 cs[%[1]d]; };

extern "C" __global__ void __launch_bounds__(%[2]d) gemm_ptrs(const gp_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.batch; i += step) {
    i64 q = i;
    u64 a = p.a, b = p.b, c = p.c;
#pragma unroll
    for (int d = %[3]d; d >= 0; d--) { const i64 k = q %% p.shape[d]; q /= p.shape[d]; a += k * p.as[d]; b += k * p.bs[d]; c += k * p.cs[d]; }
    p.pa[i] = a; p.pb[i] = b; p.pc[i] = c;
  }
}
`, r, blockSize, r-1)
	return b.String(), nil
}

func (g gemmPtrs) launch(src string, arrays, a, b, c uint64, batch, sms int) launch {
	r := max(len(g.shape), 1)
	var p params
	p.ptr(arrays)
	p.ptr(arrays + uint64(8*batch))
	p.ptr(arrays + uint64(16*batch))
	p.ptr(a)
	p.ptr(b)
	p.ptr(c)
	p.int(batch)
	p.ints(g.shape, r)
	p.ints(g.as, r)
	p.ints(g.bs, r)
	p.ints(g.cs, r)
	return launch{src: src, name: "gemm_ptrs", grid: gridFor(batch, blockSize, sms), block: blockSize, params: p}
}
