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

struct sa_p { float* dst; const float* val; const i64* idx; i64* flag; const i64* cnt; const i64* sorted; i64 n; i64 isz; i64 size; i64 vj; i64 shape[3]; i64 vc[3]; i64 gc[3]; i64 rc[3]; };

// Each thread owns table elements and adds its row's values in index order.
extern "C" __global__ void __launch_bounds__(256) scatter_add(const sa_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 vo = 0, g = 0, row = 0;
    if (p.n <= 0xffffffffll) { // 32-bit division where it suffices: a table has many elements
      unsigned q = (unsigned)i;
#pragma unroll
      for (int d = 2; d >= 0; d--) { const unsigned s = (unsigned)p.shape[d]; const i64 k = q % s; q /= s; vo += k * p.vc[d]; g += k * p.gc[d]; row += k * p.rc[d]; }
    } else {
      i64 q = i;
#pragma unroll
      for (int d = 2; d >= 0; d--) { const i64 k = q % p.shape[d]; q /= p.shape[d]; vo += k * p.vc[d]; g += k * p.gc[d]; row += k * p.rc[d]; }
    }
    const i64 key = g * p.size + row, first = g * p.isz;
    i64 j = key > 0 ? p.cnt[key - 1] : 0;
    const i64 end = p.cnt[key];
    double acc = 0.0;
    for (; j + 4 <= end; j += 4) {
      const i64 e0 = p.sorted[j] - first, e1 = p.sorted[j + 1] - first, e2 = p.sorted[j + 2] - first, e3 = p.sorted[j + 3] - first;
      const double v0 = (double)p.val[vo + e0 * p.vj], v1 = (double)p.val[vo + e1 * p.vj], v2 = (double)p.val[vo + e2 * p.vj], v3 = (double)p.val[vo + e3 * p.vj];
      acc += v0; acc += v1; acc += v2; acc += v3;
    }
    for (; j < end; j++) acc += (double)p.val[vo + (p.sorted[j] - first) * p.vj];
    p.dst[i] = (float)acc;
  }
}
