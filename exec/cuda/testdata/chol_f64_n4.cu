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

struct ch_p { double* x; const double* a; i64* flag; i64 nmat; };

extern "C" __global__ void __launch_bounds__(128) chol(const ch_p p) {
  constexpr int N = 4;
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 s = (i64)blockIdx.x * blockDim.x + threadIdx.x; s < p.nmat; s += step) {
    const double* a = p.a + s * (N * N);
    double l[N * (N + 1) / 2];
    bool finite = true;
#pragma unroll
    for (int i = 0; i < N; i++) {
#pragma unroll
      for (int j = 0; j <= i; j++) {
        const double v = ((double)a[i * N + j] + (double)a[j * N + i]) / 2.0;
        l[i * (i + 1) / 2 + j] = v;
        finite = finite && isfinite(v);
      }
    }
    if (!finite) { atomicMin(p.flag, s * 4 + 2); continue; }
    bool ok = true;
#pragma unroll
    for (int j = 0; j < N; j++) {
      const int rj = j * (j + 1) / 2;
      double d = 0.0;
#pragma unroll
      for (int c = 0; c < j; c++) d += l[rj + c] * l[rj + c];
      d = l[rj + j] - d;
      if (!(d > 0.0)) { ok = false; break; }
      d = sqrt(d);
      l[rj + j] = d;
      const double r = 1.0 / d;
#pragma unroll
      for (int i = j + 1; i < N; i++) {
        const int ri = i * (i + 1) / 2;
        double v = 0.0;
#pragma unroll
        for (int c = 0; c < j; c++) v += l[ri + c] * l[rj + c];
        l[ri + j] = (l[ri + j] - v) * r;
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + 1); continue; }
    double* x = p.x + s * (N * N);
#pragma unroll
    for (int i = 0; i < N; i++) {
#pragma unroll
      for (int j = 0; j < N; j++) x[i * N + j] = j <= i ? (double)l[i * (i + 1) / 2 + j] : (double)0;
    }
  }
}
