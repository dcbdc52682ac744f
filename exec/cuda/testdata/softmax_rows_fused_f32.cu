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
  i64 n;
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


__device__ __forceinline__ void push(float& m, float& s, float x) {
  if (x != x) { m = x; return; }
  if (isinf(x) && x < 0) return;
  if (x > m) { s = s * expf(m - x) + 1; m = x; } else { s += expf(x - m); }
}
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  if (m != m || m2 != m2) { if (m == m) m = m2; return; }
  if (isinf(m2) && m2 < 0) return;
  if (isinf(m) && m < 0) { m = m2; s = s2; return; }
  if (m2 > m) { s = s * expf(m - m2) + s2; m = m2; } else { s += s2 * expf(m2 - m); }
}

extern "C" __global__ void __launch_bounds__(256) softmax_rows(const P p) {
  __shared__ float shm[32];
  __shared__ float shs[32];
  const i64 st = 1;
  for (i64 r = blockIdx.x; r < p.rows; r += gridDim.x) {
    const i64 base = r * p.n;
    float* y = p.out + base;
    float m = -__longlong_as_double(0x7ff0000000000000ll), sum = 0;
    for (i64 j = threadIdx.x; j < p.n; j += blockDim.x) push(m, sum, ex_at(p, base + j));
    for (int o = 16; o > 0; o >>= 1) {
      float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, sum, o);
      merge(m, sum, m2, s2);
    }
    if ((threadIdx.x & 31) == 0) { shm[threadIdx.x >> 5] = m; shs[threadIdx.x >> 5] = sum; }
    __syncthreads();
    m = shm[0]; sum = shs[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); w++) merge(m, sum, shm[w], shs[w]);
    __syncthreads();
    if (isinf(m)) {
      float z = 0;
      for (i64 j = threadIdx.x; j < p.n; j += blockDim.x) z += expf(ex_at(p, base + j));
      for (int o = 16; o > 0; o >>= 1) z += __shfl_xor_sync(0xffffffffu, z, o);
      if ((threadIdx.x & 31) == 0) shs[threadIdx.x >> 5] = z;
      __syncthreads();
      sum = shs[0];
      for (int w = 1; w < (int)(blockDim.x >> 5); w++) sum += shs[w];
      __syncthreads();
      m = 0;
    }
    for (i64 j = threadIdx.x; j < p.n; j += blockDim.x) y[j * st] = expf(ex_at(p, base + j * st) - m) / sum;
  }
}

extern "C" __global__ void __launch_bounds__(256) softmax_warp(const P p) {
  const int lane = threadIdx.x & 31;
  const i64 warps = ((i64)blockDim.x >> 5) * gridDim.x;
  const float ninf = -__longlong_as_double(0x7ff0000000000000ll);
  for (i64 r = ((i64)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < p.rows; r += warps) {
    const i64 base = r * p.n;
    float* y = p.out + base;
    float v[32];
    float m = ninf;
#pragma unroll
    for (int k = 0; k < 32; k++) {
      const i64 j = lane + 32 * k;
      v[k] = j < p.n ? ex_at(p, base + j) : ninf;
      if (m == m && (v[k] != v[k] || v[k] > m)) m = v[k];
    }
    for (int o = 16; o > 0; o >>= 1) {
      const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
      if (m == m && (m2 != m2 || m2 > m)) m = m2;
    }
    if (isinf(m)) m = 0;
    float sum = 0;
#pragma unroll
    for (int k = 0; k < 32; k++) if (lane + 32 * k < p.n) sum += expf(v[k] - m);
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    const float l = m + logf(sum);
    (void)l;
#pragma unroll
    for (int k = 0; k < 32; k++) { const i64 j = lane + 32 * k; if (j < p.n) y[j] = expf(v[k] - m) / sum; }
  }
}
