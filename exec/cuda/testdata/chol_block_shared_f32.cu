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

struct cb_p { float* x; const float* a; i64* flag; double* work; i64 nmat; i64 n; };

extern "C" __global__ void __launch_bounds__(128) chol_block(const cb_p p) {
  __shared__ double sw[6016];
  __shared__ int bad;
  const i64 n = p.n, nn = n * n;
  double* w = sw;
  for (i64 s = blockIdx.x; s < p.nmat; s += gridDim.x) {
    const float* a = p.a + s * nn;
    __syncthreads(); // the previous matrix is done with w and bad
    if (threadIdx.x == 0) bad = 0;
    __syncthreads();
    for (i64 e = threadIdx.x; e < nn; e += blockDim.x) {
      const i64 i = e / n, j = e % n;
      if (j <= i) {
        const double v = ((double)a[e] + (double)a[j * n + i]) / 2.0;
        w[i * (i + 1) / 2 + j] = v;
        if (!isfinite(v)) bad = 1;
      }
    }
    __syncthreads();
    if (bad) {
      if (threadIdx.x == 0) atomicMin(p.flag, s * 4 + 2);
      continue;
    }
    bool ok = true;
    for (i64 j = 0; j < n; j++) {
      const i64 jj = j * (j + 1) / 2 + j;
      const double d = w[jj]; // every thread reads it: all leave together
      if (!(d > 0.0)) { ok = false; break; }
      const double sd = sqrt(d), r = 1.0 / sd;
      for (i64 i = j + 1 + threadIdx.x; i < n; i += blockDim.x) w[i * (i + 1) / 2 + j] *= r;
      __syncthreads();
      if (threadIdx.x == 0) w[jj] = sd;
      for (i64 i = j + 1 + threadIdx.x; i < n; i += blockDim.x) {
        const i64 ri = i * (i + 1) / 2;
        const double lij = w[ri + j];
        i64 cj = jj + j + 1; // (c, j) for c = j+1
        for (i64 c = j + 1; c <= i; c++) { w[ri + c] -= lij * w[cj]; cj += c + 1; }
      }
      __syncthreads();
    }
    if (!ok) {
      if (threadIdx.x == 0) atomicMin(p.flag, s * 4 + 1);
      continue;
    }
    float* x = p.x + s * nn;
    for (i64 e = threadIdx.x; e < nn; e += blockDim.x) {
      const i64 i = e / n, j = e % n;
      x[e] = j <= i ? (float)w[i * (i + 1) / 2 + j] : (float)0;
    }
  }
}
