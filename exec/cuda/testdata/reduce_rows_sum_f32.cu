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
  i64 rows;
  i64 cols;
  const float* a0;
};

__device__ __forceinline__ float ex_at(const P& p, i64 i) {
  const float t0 = p.a0[i];
  return t0;
}

__device__ __forceinline__ double comb(double a, double b) { return a + b; }
__device__ __forceinline__ double block_comb(double a, double* sh) {
  for (int o = 16; o > 0; o >>= 1) { double b = __shfl_xor_sync(0xffffffffu, a, o); a = comb(a, b); }
  if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = a;
  __syncthreads();
  a = sh[0];
  for (int w = 1; w < (int)(blockDim.x >> 5); w++) { double b = sh[w]; a = comb(a, b); }
  __syncthreads();
  return a;
}

extern "C" __global__ void __launch_bounds__(256) reduce_rows(const P p) {
  __shared__ double sh[32];
  const i64 n = p.cols;
  for (i64 r = blockIdx.x; r < p.rows; r += gridDim.x) {
    const i64 base = r * p.cols;
    double a = 0.0;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) a = comb(a, (double)ex_at(p, base + j));
    a = block_comb(a, sh);
    if (threadIdx.x == 0) p.out[r] = (float)(a);
  }
}
