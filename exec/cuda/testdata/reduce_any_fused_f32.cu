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
  float* out;
  i64 nout;
  i64 nred;
  i64 ks[1];
  i64 kst[1];
  i64 rs[1];
  i64 rst[1];
  const float* a0;
  const float* a1;
  i64 m1;
};

__device__ __forceinline__ float ex_at(const P& p, i64 i) {
  const float t0 = p.a0[i];
  const float t1 = t0 * 0.125f;
  const float t2 = p.a1[i % p.m1];
  const float t3 = t1 + t2;
  return t3;
}

__device__ __forceinline__ double comb(double a, double b) { return a + b; }

extern "C" __global__ void __launch_bounds__(256) reduce_any(const P p) {
  const i64 n = p.nred;
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < p.nout; o += step) {
    i64 base = 0, q = o;
#pragma unroll
    for (int d = 0; d >= 0; d--) { base += (q % p.ks[d]) * p.kst[d]; q /= p.ks[d]; }
    double a = 0.0;
    {
      i64 c[1] = {0};
      i64 off = base;
      for (i64 j = 0; j < n; j++) {
        a = comb(a, (double)ex_at(p, off));
#pragma unroll
        for (int d = 0; d >= 0; d--) { off += p.rst[d]; if (++c[d] < p.rs[d]) break; off -= p.rs[d] * p.rst[d]; c[d] = 0; }
      }
    }
    p.out[o] = (float)(a / (double)n);
  }
}
