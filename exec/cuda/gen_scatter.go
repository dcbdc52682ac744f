package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// scatter is graph.Scatter on the device, deterministic: no floating-point
// atomics. The index, seen as [G, I] (G pair groups of I entries), names
// for each entry q a key g·size + idx[q] — the table row it adds into,
// within its group. A counting sort groups the entries by key:
//
//	count  cnt[key]++ per entry (integer atomics), checking the range;
//	scan   cnt becomes each key's start (one block, exclusive prefix sum);
//	fill   perm[atomicAdd(&cnt[key], 1)] = q: each key's entries, in any
//	       order — afterwards cnt[key] is the key's end;
//	rank   sorted[start + #{entries of key before q}] = q: each key's
//	       entries in index order, whatever order fill left them in;
//	add    one thread per table element sums its key's update values in
//	       that order, in double, and writes once (zero for a row no entry
//	       names).
//
// So each table element is the sum the reference's sequential loop makes,
// in the same order and precision, and the work is O(table + entries·row)
// plus Σ m² comparisons over keys named m times — not one scan of the
// index per table row.
//
// Groups of at most directMax entries (cross-entropy's gradient: one label
// per example, paired with the batch) skip the sort: each table element
// reads its group's few entries in order, in the one kernel, which is
// also where the range check happens. Either way scatter_bad then copies
// the first bad entry's value next to its position.
type scatter struct {
	dt   tensor.Dtype
	size int // table rows (Scatter.Size)
	isz  int // index entries per group
	// The table's dims, merged where the value and the groups walk
	// neighbours as one; the row dim is never merged. vc and gc are the
	// value's and the group number's strides along them, rc 1 on the row
	// dim; vj is the value's stride between consecutive index entries.
	shape, vc, gc, rc []int
	vj                int
}

// directMax is the most entries per group the direct kernel reads per
// table element.
const directMax = 16

// direct reports whether the table is filled without sorting the index.
func (s scatter) direct() bool { return s.isz <= directMax }

// The sorting kernels' sources fix their blocks: sortBlock threads for
// those over the entries, one block of scanBlock for the scan.
const (
	sortBlock = 256
	scanBlock = 1024
)

func (s scatter) addSource() (string, error) {
	if s.dt != tensor.Float32 && s.dt != tensor.Float64 && s.dt != tensor.Int64 {
		return "", fmt.Errorf("scatter does not take %v", s.dt)
	}
	r := len(s.shape)
	if r > maxRank {
		return "", fmt.Errorf("scatter of rank %d exceeds %d", r, maxRank)
	}
	out := fmt.Sprintf("(%s)acc", cType(s.dt))
	if s.dt == tensor.Int64 {
		out = "ltrunc(acc)" // the reference adds int64 values as float64 too
	}
	body := sortedBody
	if s.direct() {
		body = directBody
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct sa_p { %[1]s* dst; const %[1]s* val; const i64* idx; i64* flag; const i64* cnt; const i64* sorted; i64 n; i64 isz; i64 size; i64 vj; i64 shape[%[2]d]; i64 vc[%[2]d]; i64 gc[%[2]d]; i64 rc[%[2]d]; };

// Each thread owns table elements and adds its row's values in index order.
extern "C" __global__ void __launch_bounds__(%[3]d) scatter_add(const sa_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 vo = 0, g = 0, row = 0;
    if (p.n <= 0xffffffffll) { // 32-bit division where it suffices: a table has many elements
      unsigned q = (unsigned)i;
#pragma unroll
      for (int d = %[4]d; d >= 0; d--) { const unsigned s = (unsigned)p.shape[d]; const i64 k = q %% s; q /= s; vo += k * p.vc[d]; g += k * p.gc[d]; row += k * p.rc[d]; }
    } else {
      i64 q = i;
#pragma unroll
      for (int d = %[4]d; d >= 0; d--) { const i64 k = q %% p.shape[d]; q /= p.shape[d]; vo += k * p.vc[d]; g += k * p.gc[d]; row += k * p.rc[d]; }
    }
%[6]s
    p.dst[i] = %[5]s;
  }
}
`, cType(s.dt), r, blockSize, r-1, out, body)
	return b.String(), nil
}

// sortedBody adds the entries the sort put in the element's key's range
// (four loads ahead: a key named often is one thread's long loop).
const sortedBody = `    const i64 key = g * p.size + row, first = g * p.isz;
    i64 j = key > 0 ? p.cnt[key - 1] : 0;
    const i64 end = p.cnt[key];
    double acc = 0.0;
    for (; j + 4 <= end; j += 4) {
      const i64 e0 = p.sorted[j] - first, e1 = p.sorted[j + 1] - first, e2 = p.sorted[j + 2] - first, e3 = p.sorted[j + 3] - first;
      const double v0 = (double)p.val[vo + e0 * p.vj], v1 = (double)p.val[vo + e1 * p.vj], v2 = (double)p.val[vo + e2 * p.vj], v3 = (double)p.val[vo + e3 * p.vj];
      acc += v0; acc += v1; acc += v2; acc += v3;
    }
    for (; j < end; j++) acc += (double)p.val[vo + (p.sorted[j] - first) * p.vj];`

// directBody reads the group's few entries; every entry is read by some
// element, so the range check is here.
const directBody = `    const i64 first = g * p.isz;
    double acc = 0.0;
    for (i64 e = 0; e < p.isz; e++) {
      const i64 v = p.idx[first + e];
      if (v == row) acc += (double)p.val[vo + e * p.vj];
      else if (v < 0 || v >= p.size) atomicMin(p.flag, first + e);
    }`

// scatterBad copies the value of the first bad entry (its position in
// flag[0]) to flag[1].
const scatterBad = prelude + `
struct sb_p { const i64* idx; i64* flag; };

extern "C" __global__ void __launch_bounds__(32) scatter_bad(const sb_p p) {
  if (threadIdx.x == 0 && p.flag[0] != 0x7fffffffffffffffll) p.flag[1] = p.idx[p.flag[0]];
}
`

// The sorting kernels see only the index: entries, their groups' size and
// the table's rows.
const scatterCount = prelude + `
struct sc_p { const i64* idx; i64* cnt; i64* flag; i64 n; i64 isz; i64 size; };

// cnt[key] counts the entries naming each key; the first entry (lowest
// position) out of range goes to flag[0].
extern "C" __global__ void __launch_bounds__(256) scatter_count(const sc_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < p.n; q += step) {
    const i64 v = p.idx[q];
    if (v < 0 || v >= p.size) { atomicMin(p.flag, q); continue; }
    atomicAdd((u64*)&p.cnt[(q / p.isz) * p.size + v], 1ull);
  }
}
`

const scatterScan = prelude + `
struct ss_p { i64* cnt; i64 k; };

// One block turns counts into starts: each thread sums a run of keys, the
// block scans the run sums, each thread writes its run's starts.
extern "C" __global__ void __launch_bounds__(1024) scatter_scan(const ss_p p) {
  __shared__ i64 part[1024];
  const i64 t = threadIdx.x, nt = blockDim.x;
  const i64 run = (p.k + nt - 1) / nt, lo = t * run < p.k ? t * run : p.k, hi = lo + run < p.k ? lo + run : p.k;
  i64 s = 0;
  for (i64 j = lo; j < hi; j++) s += p.cnt[j];
  part[t] = s;
  __syncthreads();
  for (i64 off = 1; off < nt; off *= 2) {
    const i64 v = t >= off ? part[t - off] : 0;
    __syncthreads();
    part[t] += v;
    __syncthreads();
  }
  i64 at = part[t] - s;
  for (i64 j = lo; j < hi; j++) { const i64 c = p.cnt[j]; p.cnt[j] = at; at += c; }
}
`

const scatterFill = prelude + `
struct sf_p { const i64* idx; i64* cnt; i64* perm; i64 n; i64 isz; i64 size; };

// Each entry takes a slot in its key's range (in any order); cnt[key] ends
// as the key's end.
extern "C" __global__ void __launch_bounds__(256) scatter_fill(const sf_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < p.n; q += step) {
    const i64 v = p.idx[q];
    if (v < 0 || v >= p.size) continue;
    const i64 at = (i64)atomicAdd((u64*)&p.cnt[(q / p.isz) * p.size + v], 1ull);
    p.perm[at] = q;
  }
}
`

const scatterRank = prelude + `
struct sr_p { const i64* idx; const i64* cnt; const i64* perm; i64* sorted; i64 n; i64 isz; i64 size; };

// Each entry's place in its key's range is the number of the key's entries
// before it: the range in index order, deterministic.
extern "C" __global__ void __launch_bounds__(256) scatter_rank(const sr_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < p.n; q += step) {
    const i64 v = p.idx[q];
    if (v < 0 || v >= p.size) continue;
    const i64 key = (q / p.isz) * p.size + v;
    const i64 lo = key > 0 ? p.cnt[key - 1] : 0, hi = p.cnt[key];
    i64 rank = 0;
    for (i64 j = lo; j < hi; j++) rank += p.perm[j] < q;
    p.sorted[lo + rank] = q;
  }
}
`

// indexArgs packs the sorting kernels' common tail.
func (s scatter) indexArgs(p *params, n int) {
	p.int(n)
	p.int(max(s.isz, 1))
	p.int(s.size)
}

func (s scatter) count(idx, cnt, flag uint64, n, sms int) launch {
	var p params
	p.ptr(idx)
	p.ptr(cnt)
	p.ptr(flag)
	s.indexArgs(&p, n)
	return launch{src: scatterCount, name: "scatter_count", grid: gridFor(n, sortBlock, sms), block: sortBlock, params: p}
}

func (s scatter) scan(cnt uint64, keys int) launch {
	var p params
	p.ptr(cnt)
	p.int(keys)
	return launch{src: scatterScan, name: "scatter_scan", grid: 1, block: scanBlock, params: p}
}

func (s scatter) fill(idx, cnt, perm uint64, n, sms int) launch {
	var p params
	p.ptr(idx)
	p.ptr(cnt)
	p.ptr(perm)
	s.indexArgs(&p, n)
	return launch{src: scatterFill, name: "scatter_fill", grid: gridFor(n, sortBlock, sms), block: sortBlock, params: p}
}

func (s scatter) rank(idx, cnt, perm, sorted uint64, n, sms int) launch {
	var p params
	p.ptr(idx)
	p.ptr(cnt)
	p.ptr(perm)
	p.ptr(sorted)
	s.indexArgs(&p, n)
	return launch{src: scatterRank, name: "scatter_rank", grid: gridFor(n, sortBlock, sms), block: sortBlock, params: p}
}

func (s scatter) bad(idx, flag uint64) launch {
	var p params
	p.ptr(idx)
	p.ptr(flag)
	return launch{src: scatterBad, name: "scatter_bad", grid: 1, block: 32, params: p}
}

// add fills the table; cnt and sorted are 0 for the direct kernel.
func (s scatter) add(src string, dst, val, idx, flag, cnt, sorted uint64, n, sms int) launch {
	r := len(s.shape)
	var p params
	p.ptr(dst)
	p.ptr(val)
	p.ptr(idx)
	p.ptr(flag)
	p.ptr(cnt)
	p.ptr(sorted)
	p.int(n)
	p.int(max(s.isz, 1))
	p.int(s.size)
	p.int(s.vj)
	p.ints(s.shape, r)
	p.ints(s.vc, r)
	p.ints(s.gc, r)
	p.ints(s.rc, r)
	return launch{src: src, name: "scatter_add", grid: gridFor(n, blockSize, sms), block: blockSize, params: p}
}
