package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// Cholesky kernels factor S = (A+Aᵀ)/2 (A itself when symmetric) into the
// lower-triangular L with S = L·Lᵀ, zeros above the diagonal, in float64
// whatever the dtype; a non-positive pivot (or NaN) fails the matrix with
// solveSingular, a non-finite element of S with solveNotFinite. L is kept
// packed by rows: element (i, j ≤ i) at i(i+1)/2 + j.

// cholRegsN is the largest n whose packed factor (n(n+1)/2 doubles) a
// thread keeps in registers (ptxas for sm_90: 210 registers and no stack
// frame at n = 12); above it the loops stay rolled, L in local memory.
const cholRegsN = 12

// chol is one thread per matrix (n ≤ maxSolveN), left-looking like
// LAPACK's potf2 and the CPU backend: column j from the rows above it.
type chol struct {
	dt tensor.Dtype
	n  int
}

func (c chol) Source() (string, error) {
	if err := smallLACheck("cholesky", c.dt, c.n); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(prelude)
	b.WriteString(unrolled(fmt.Sprintf(`
struct ch_p { %[1]s* x; const %[1]s* a; i64* flag; i64 nmat; };

extern "C" __global__ void __launch_bounds__(%[2]d) chol(const ch_p p) {
  constexpr int N = %[3]d;
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 s = (i64)blockIdx.x * blockDim.x + threadIdx.x; s < p.nmat; s += step) {
    const %[1]s* a = p.a + s * (N * N);
    double l[N * (N + 1) / 2];
    bool finite = true;
@U@
    for (int i = 0; i < N; i++) {
@U@
      for (int j = 0; j <= i; j++) {
        const double v = ((double)a[i * N + j] + (double)a[j * N + i]) / 2.0;
        l[i * (i + 1) / 2 + j] = v;
        finite = finite && isfinite(v);
      }
    }
    if (!finite) { atomicMin(p.flag, s * 4 + %[4]d); continue; }
    bool ok = true;
@U@
    for (int j = 0; j < N; j++) {
      const int rj = j * (j + 1) / 2;
      double d = 0.0;
@U@
      for (int c = 0; c < j; c++) d += l[rj + c] * l[rj + c];
      d = l[rj + j] - d;
      if (!(d > 0.0)) { ok = false; break; }
      d = sqrt(d);
      l[rj + j] = d;
      const double r = 1.0 / d;
@U@
      for (int i = j + 1; i < N; i++) {
        const int ri = i * (i + 1) / 2;
        double v = 0.0;
@U@
        for (int c = 0; c < j; c++) v += l[ri + c] * l[rj + c];
        l[ri + j] = (l[ri + j] - v) * r;
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + %[5]d); continue; }
    %[1]s* x = p.x + s * (N * N);
@U@
    for (int i = 0; i < N; i++) {
@U@
      for (int j = 0; j < N; j++) x[i * N + j] = j <= i ? (%[1]s)l[i * (i + 1) / 2 + j] : (%[1]s)0;
    }
  }
}
`, cType(c.dt), solveBlock, c.n, solveNotFinite, solveSingular), c.n <= cholRegsN))
	return b.String(), nil
}

func (c chol) launch(src string, x, a, flag uint64, nmat, sms int) launch {
	var p params
	p.ptr(x)
	p.ptr(a)
	p.ptr(flag)
	p.int(nmat)
	return launch{src: src, name: "chol", grid: gridFor(max(nmat, 1), solveBlock, sms), block: solveBlock, params: p}
}

// cholShared is how many doubles of a block's shared memory hold L (47 KB,
// under the 48 KB of static shared memory every device allows): matrices
// up to n = 109.
const cholShared = 6016

// cholGlobalBytes bounds the global scratch of the block kernel for larger
// matrices: fewer blocks run at once where each needs more.
const cholGlobalBytes = 256 << 20

// cholBlock is one thread block per matrix, for n > maxSolveN:
// right-looking, column by column — scale column j by 1/√l_jj, then
// subtract its outer product from the trailing triangle, threads over rows,
// a barrier between the two. L lives in shared memory when it fits
// (cholShared), else in a slot of global scratch per block (work).
type cholBlock struct {
	dt     tensor.Dtype
	shared bool
}

// cholBlockFits reports whether an n×n factor fits in shared memory.
func cholBlockFits(n int) bool { return n*(n+1)/2 <= cholShared }

func (c cholBlock) threads() int {
	if c.shared {
		return 128
	}
	return 256
}

func (c cholBlock) Source() (string, error) {
	if c.dt != tensor.Float32 && c.dt != tensor.Float64 {
		return "", fmt.Errorf("cholesky does not take %v", c.dt)
	}
	decl, w := "", "p.work + (i64)blockIdx.x * (n * (n + 1) / 2)"
	if c.shared {
		decl, w = fmt.Sprintf("  __shared__ double sw[%d];\n", cholShared), "sw"
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct cb_p { %[1]s* x; const %[1]s* a; i64* flag; double* work; i64 nmat; i64 n; };

extern "C" __global__ void __launch_bounds__(%[2]d) chol_block(const cb_p p) {
%[3]s  __shared__ int bad;
  const i64 n = p.n, nn = n * n;
  double* w = %[4]s;
  for (i64 s = blockIdx.x; s < p.nmat; s += gridDim.x) {
    const %[1]s* a = p.a + s * nn;
    __syncthreads(); // the previous matrix is done with w and bad
    if (threadIdx.x == 0) bad = 0;
    __syncthreads();
    for (i64 e = threadIdx.x; e < nn; e += blockDim.x) {
      const i64 i = e / n, j = e %% n;
      if (j <= i) {
        const double v = ((double)a[e] + (double)a[j * n + i]) / 2.0;
        w[i * (i + 1) / 2 + j] = v;
        if (!isfinite(v)) bad = 1;
      }
    }
    __syncthreads();
    if (bad) {
      if (threadIdx.x == 0) atomicMin(p.flag, s * 4 + %[5]d);
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
      if (threadIdx.x == 0) atomicMin(p.flag, s * 4 + %[6]d);
      continue;
    }
    %[1]s* x = p.x + s * nn;
    for (i64 e = threadIdx.x; e < nn; e += blockDim.x) {
      const i64 i = e / n, j = e %% n;
      x[e] = j <= i ? (%[1]s)w[i * (i + 1) / 2 + j] : (%[1]s)0;
    }
  }
}
`, cType(c.dt), c.threads(), decl, w, solveNotFinite, solveSingular)
	return b.String(), nil
}

// grid is how many blocks factor nmat matrices of n×n: as many as the
// scratch allows for the global form.
func (c cholBlock) grid(nmat, n, sms int) int {
	g := min(max(nmat, 1), max(sms, 1)*32)
	if !c.shared {
		g = min(g, max(1, cholGlobalBytes/(8*n*(n+1)/2)))
	}
	return g
}

// launch factors nmat n×n matrices of a into x; work is grid slots of
// n(n+1)/2 doubles for the global form (0 for the shared one).
func (c cholBlock) launch(src string, x, a, flag, work uint64, nmat, n, grid int) launch {
	block := c.threads()
	if c.shared {
		block = min(block, (n+31)/32*32) // a thread per row below the diagonal
	}
	var p params
	p.ptr(x)
	p.ptr(a)
	p.ptr(flag)
	p.ptr(work)
	p.int(nmat)
	p.int(n)
	return launch{src: src, name: "chol_block", grid: grid, block: block, params: p}
}
