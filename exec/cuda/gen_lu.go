package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// The kernels around cuBLAS's batched LU (steps_lu.go): luIn before the
// factorization, luCheck after it.

// luThreads is luIn's block: one block per matrix.
const luThreads = 256

// luIn copies nmat n×n matrices into float64 (cuBLAS factors in place, and
// in float64 for both dtypes) and sets each one's pivot threshold
// tiny = ε·‖A‖_F as the generated kernels do; a matrix holding NaN or ±Inf
// reports solveNotFinite and gets tiny = -1. The block reductions run in
// a fixed order, so tiny is the same every run.
type luIn struct{ dt tensor.Dtype }

func (l luIn) Source() (string, error) {
	if l.dt != tensor.Float32 && l.dt != tensor.Float64 {
		return "", fmt.Errorf("LU does not take %v", l.dt)
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct li_p { double* w; const %[1]s* a; double* tiny; i64* flag; i64 nmat; i64 nn; };

// The block's max and sum: warps by shuffles, then every thread adds the
// warps' values in the same order.
__device__ __forceinline__ double li_max(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (threadIdx.x %% 32 == 0) sh[threadIdx.x / 32] = v;
  __syncthreads();
  v = sh[0];
  for (int k = 1; k < blockDim.x / 32; k++) v = fmax(v, sh[k]);
  return v;
}
__device__ __forceinline__ double li_sum(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if (threadIdx.x %% 32 == 0) sh[threadIdx.x / 32] = v;
  __syncthreads();
  v = sh[0];
  for (int k = 1; k < blockDim.x / 32; k++) v += sh[k];
  return v;
}

extern "C" __global__ void __launch_bounds__(%[2]d) lu_in(const li_p p) {
  __shared__ double sh[32];
  for (i64 s = blockIdx.x; s < p.nmat; s += gridDim.x) {
    const %[1]s* a = p.a + s * p.nn;
    double* w = p.w + s * p.nn;
    double big = 0.0, ss = 0.0, bad = 0.0;
    for (i64 e = threadIdx.x; e < p.nn; e += blockDim.x) {
      const double v = (double)a[e];
      w[e] = v;
      if (!isfinite(v)) bad = 1.0;
      big = fmax(big, fabs(v));
      ss += v * v;
    }
    bad = li_max(bad, sh);
    big = li_max(big, sh);
    ss = li_sum(ss, sh);
    if (bad > 0.0) {
      if (threadIdx.x == 0) { atomicMin(p.flag, s * 4 + %[3]d); p.tiny[s] = -1.0; }
      continue;
    }
    double norm = sqrt(ss);
    if (!(ss >= 2.2250738585072014e-308 && ss <= 1.7976931348623157e308) && big > 0.0) {
      double t = 0.0;
      for (i64 e = threadIdx.x; e < p.nn; e += blockDim.x) { const double u = w[e] / big; t += u * u; }
      norm = big * sqrt(li_sum(t, sh));
    }
    if (threadIdx.x == 0) p.tiny[s] = 2.220446049250313e-16 * norm;
  }
}
`, cType(l.dt), luThreads, solveNotFinite)
	return b.String(), nil
}

func (l luIn) launch(src string, w, a, tiny, flag uint64, nmat, n, sms int) launch {
	var p params
	p.ptr(w)
	p.ptr(a)
	p.ptr(tiny)
	p.ptr(flag)
	p.int(nmat)
	p.int(n * n)
	return launch{src: src, name: "lu_in", grid: min(max(nmat, 1), max(sms, 1)*32), block: luThreads, params: p}
}

// luCheck fails, with solveSingular, every matrix whose factorization has
// a pivot no larger than its tiny, or that cuBLAS found exactly singular
// (info ≠ 0), skipping those luIn already failed.
type luCheck struct{}

func (luCheck) Source() (string, error) {
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct lc_p { const double* w; const double* tiny; const int* info; i64* flag; i64 nmat; i64 n; };

extern "C" __global__ void __launch_bounds__(%[1]d) lu_check(const lc_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 s = (i64)blockIdx.x * blockDim.x + threadIdx.x; s < p.nmat; s += step) {
    const double t = p.tiny[s];
    if (t < 0.0) continue;
    const double* w = p.w + s * p.n * p.n;
    bool ok = p.info[s] == 0;
    for (i64 i = 0; i < p.n; i++) ok = ok && fabs(w[i * (p.n + 1)]) > t;
    if (!ok) atomicMin(p.flag, s * 4 + %[2]d);
  }
}
`, blockSize, solveSingular)
	return b.String(), nil
}

func (luCheck) launch(src string, w, tiny, info, flag uint64, nmat, n, sms int) launch {
	var p params
	p.ptr(w)
	p.ptr(tiny)
	p.ptr(info)
	p.ptr(flag)
	p.int(nmat)
	p.int(n)
	return launch{src: src, name: "lu_check", grid: gridFor(max(nmat, 1), blockSize, sms), block: blockSize, params: p}
}
