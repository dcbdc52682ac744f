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

struct tk_p { unsigned int* dst; const unsigned int* src; const i64* idx; i64* flag; i64 n; i64 d; i64 xst; i64 shape[2]; i64 xc[2]; i64 ic[2]; };

extern "C" __global__ void __launch_bounds__(256) take(const tk_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 q = i, xo = 0, io = 0;
#pragma unroll
    for (int d = 1; d >= 0; d--) { const i64 k = q % p.shape[d]; q /= p.shape[d]; xo += k * p.xc[d]; io += k * p.ic[d]; }
    const i64 v = p.idx[io];
    if (v < 0 || v >= p.d) {
      if (atomicCAS((u64*)p.flag, 0ull, 1ull) == 0ull) p.flag[1] = v;
      continue;
    }
    p.dst[i] = p.src[xo + v * p.xst];
  }
}
