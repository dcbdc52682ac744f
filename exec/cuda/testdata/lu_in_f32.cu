typedef long long i64;
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

struct li_p { double* w; const float* a; double* tiny; i64* flag; i64 nmat; i64 nn; };

// The block's max and sum: warps by shuffles, then every thread adds the
// warps' values in the same order.
__device__ __forceinline__ double li_max(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = v;
  __syncthreads();
  v = sh[0];
  for (int k = 1; k < blockDim.x / 32; k++) v = fmax(v, sh[k]);
  return v;
}
__device__ __forceinline__ double li_sum(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = v;
  __syncthreads();
  v = sh[0];
  for (int k = 1; k < blockDim.x / 32; k++) v += sh[k];
  return v;
}

extern "C" __global__ void __launch_bounds__(256) lu_in(const li_p p) {
  __shared__ double sh[32];
  for (i64 s = blockIdx.x; s < p.nmat; s += gridDim.x) {
    const float* a = p.a + s * p.nn;
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
      if (threadIdx.x == 0) { atomicMin(p.flag, s * 4 + 2); p.tiny[s] = -1.0; }
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
