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

struct P {
  double* out;
  i64 outer;
  i64 n;
  i64 inner;
  const double* a0;
};

__device__ __forceinline__ double ex_at(const P& p, i64 i) {
  const double t0 = p.a0[i];
  return t0;
}


__device__ __forceinline__ void push(double& m, double& s, double x) {
  if (x != x) { m = x; return; }
  if (isinf(x) && x < 0) return;
  if (x > m) { s = s * exp(m - x) + 1; m = x; } else { s += exp(x - m); }
}
__device__ __forceinline__ void merge(double& m, double& s, double m2, double s2) {
  if (m != m || m2 != m2) { if (m == m) m = m2; return; }
  if (isinf(m2) && m2 < 0) return;
  if (isinf(m) && m < 0) { m = m2; s = s2; return; }
  if (m2 > m) { s = s * exp(m - m2) + s2; m = m2; } else { s += s2 * exp(m2 - m); }
}

extern "C" __global__ void __launch_bounds__(256) softmax_lines(const P p) {
  const i64 st = p.inner, lines = p.outer * p.inner, step = (i64)blockDim.x * gridDim.x;
  for (i64 l = (i64)blockIdx.x * blockDim.x + threadIdx.x; l < lines; l += step) {
    const i64 base = (l / p.inner) * p.n * p.inner + l % p.inner;
    double* y = p.out + base;
    double m = -__longlong_as_double(0x7ff0000000000000ll), sum = 0;
    for (i64 j = 0; j < p.n; j++) push(m, sum, ex_at(p, base + j * st));
    if (isinf(m)) {
      sum = 0;
      for (i64 j = 0; j < p.n; j++) sum += exp(ex_at(p, base + j * st));
      m = 0;
    }
    { const double l = m + log(sum); for (i64 j = 0; j < p.n; j++) y[j * st] = ex_at(p, base + j * st) - l; }
  }
}
