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

struct sv_p { float* x; const float* a; const float* b; i64* flag; i64 nsys; i64 k; i64 shape[1]; i64 ast[1]; i64 bst[1]; };

extern "C" __global__ void __launch_bounds__(128) solve(const sv_p p) {
  constexpr int N = 12;
  const i64 total = p.nsys * p.k, step = (i64)blockDim.x * gridDim.x;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    // 64-bit divisions cost tens of instructions: none for one column,
    // none for the outermost batch dim (q is below its size there).
    const i64 s = p.k == 1 ? t : t / p.k, col = t - s * p.k;
    i64 q = s, ao = 0, bo = 0;
#pragma unroll
    for (int d = 0; d >= 0; d--) { const i64 c = d == 0 ? q : q % p.shape[d]; q /= p.shape[d]; ao += c * p.ast[d]; bo += c * p.bst[d]; }
    const float* a = p.a + ao;
    double m[N * N];
    double big = 0.0, ss = 0.0;
    bool finite = true;
#pragma unroll 1
    for (int e = 0; e < N * N; e++) {
      const double v = (double)a[e];
      m[e] = v;
      finite = finite && isfinite(v);
      big = fmax(big, fabs(v));
      ss += v * v;
    }
    if (!finite) { atomicMin(p.flag, s * 4 + 2); continue; }
    double norm = sqrt(ss);
    if (!(ss >= 2.2250738585072014e-308 && ss <= 1.7976931348623157e308) && big > 0.0) {
      ss = 0.0;
#pragma unroll 1
      for (int e = 0; e < N * N; e++) { const double u = m[e] / big; ss += u * u; }
      norm = big * sqrt(ss);
    }
    const double tiny = 2.220446049250313e-16 * norm;
    double y[N];
#pragma unroll 1
    for (int i = 0; i < N; i++) y[i] = (double)p.b[bo + i * p.k + col];
    bool ok = true;
#pragma unroll 1
    for (int j = 0; j < N; j++) {
      int piv = j;
      double best = fabs(m[j * N + j]);
#pragma unroll 1
      for (int i = j + 1; i < N; i++) { const double v = fabs(m[i * N + j]); if (v > best) { best = v; piv = i; } }
      if (!(best > tiny)) { ok = false; break; }
      if (piv != j) {
        for (int c = j; c < N; c++) { const double w = m[j * N + c]; m[j * N + c] = m[piv * N + c]; m[piv * N + c] = w; }
        const double w = y[j]; y[j] = y[piv]; y[piv] = w;
      }
      const double rp = 1.0 / m[j * N + j];
#pragma unroll 1
      for (int i = j + 1; i < N; i++) {
        const double l = m[i * N + j] * rp;
#pragma unroll 1
        for (int c = j + 1; c < N; c++) m[i * N + c] -= l * m[j * N + c];
        y[i] -= l * y[j];
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + 1); continue; }
#pragma unroll 1
    for (int i = N - 1; i >= 0; i--) {
      double v = y[i];
#pragma unroll 1
      for (int c = i + 1; c < N; c++) v -= m[i * N + c] * y[c];
      y[i] = v / m[i * N + i];
    }
#pragma unroll 1
    for (int i = 0; i < N; i++) p.x[(s * N + i) * p.k + col] = (float)y[i];
  }
}
