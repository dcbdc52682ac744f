package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// maxSolveN is the largest system the generated kernel solves: one thread
// holds the whole matrix (in registers, spilling to local memory near the
// top of the range).
const maxSolveN = 16

// solveBlock is the kernel's block size: fewer threads per block than the
// elementwise kernels, as each holds a whole matrix.
const solveBlock = 128

// Failure codes a solve kernel reports: flag = min over failed systems of
// system·4 + code, so the host learns the first failing system.
const (
	solveSingular  = 1
	solveNotFinite = 2
)

// solve is a batch of n×n systems A·X = B with k right-hand sides, one
// thread per (system, column): each factors its A by LU with partial
// pivoting (LAPACK's getf2: the first row of largest magnitude pivots;
// multipliers through the pivot's reciprocal) in float64, whatever the
// dtype, and rejects pivots no larger than ε·‖A‖_F (ε = 2⁻⁵²) — the CPU
// backend's rule. Batch dims index A and B through strides (0 where one
// side is shared).
type solve struct {
	dt tensor.Dtype
	n  int
	nb int // batch dims (after merging)
}

func (s solve) Source() (string, error) {
	if s.dt != tensor.Float32 && s.dt != tensor.Float64 {
		return "", fmt.Errorf("solve does not take %v", s.dt)
	}
	if s.n < 1 || s.n > maxSolveN {
		return "", fmt.Errorf("solve kernel takes 1 ≤ n ≤ %d, got %d", maxSolveN, s.n)
	}
	r := max(s.nb, 1)
	if r > maxRank {
		return "", fmt.Errorf("%d batch dims exceed %d", r, maxRank)
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct sv_p { %[1]s* x; const %[1]s* a; const %[1]s* b; i64* flag; i64 nsys; i64 k; i64 shape[%[2]d]; i64 ast[%[2]d]; i64 bst[%[2]d]; };

extern "C" __global__ void __launch_bounds__(%[3]d) solve(const sv_p p) {
  constexpr int N = %[4]d;
  const i64 total = p.nsys * p.k, step = (i64)blockDim.x * gridDim.x;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const i64 s = t / p.k, col = t %% p.k;
    i64 q = s, ao = 0, bo = 0;
#pragma unroll
    for (int d = %[5]d; d >= 0; d--) { const i64 c = q %% p.shape[d]; q /= p.shape[d]; ao += c * p.ast[d]; bo += c * p.bst[d]; }
    double m[N * N], y[N];
    double big = 0.0;
    bool finite = true;
#pragma unroll
    for (int e = 0; e < N * N; e++) {
      const double v = (double)p.a[ao + e];
      m[e] = v;
      finite = finite && isfinite(v);
      big = fmax(big, fabs(v));
    }
    if (!finite) { atomicMin(p.flag, s * 4 + %[6]d); continue; }
    double ss = 0.0;
    if (big > 0.0) {
#pragma unroll
      for (int e = 0; e < N * N; e++) { const double u = m[e] / big; ss += u * u; }
    }
    const double tiny = 2.220446049250313e-16 * big * sqrt(ss);
#pragma unroll
    for (int i = 0; i < N; i++) y[i] = (double)p.b[bo + i * p.k + col];
    bool ok = true;
#pragma unroll
    for (int j = 0; j < N; j++) {
      int piv = j;
      double best = fabs(m[j * N + j]);
      for (int i = j + 1; i < N; i++) { const double v = fabs(m[i * N + j]); if (v > best) { best = v; piv = i; } }
      if (!(best > tiny)) { ok = false; break; }
      if (piv != j) {
        for (int c = 0; c < N; c++) { const double w = m[j * N + c]; m[j * N + c] = m[piv * N + c]; m[piv * N + c] = w; }
        const double w = y[j]; y[j] = y[piv]; y[piv] = w;
      }
      const double rp = 1.0 / m[j * N + j];
      for (int i = j + 1; i < N; i++) {
        const double l = m[i * N + j] * rp;
        for (int c = j + 1; c < N; c++) m[i * N + c] -= l * m[j * N + c];
        y[i] -= l * y[j];
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + %[7]d); continue; }
#pragma unroll
    for (int i = N - 1; i >= 0; i--) {
      double v = y[i];
      for (int c = i + 1; c < N; c++) v -= m[i * N + c] * y[c];
      y[i] = v / m[i * N + i];
    }
#pragma unroll
    for (int i = 0; i < N; i++) p.x[(s * N + i) * p.k + col] = (%[1]s)y[i];
  }
}
`, cType(s.dt), r, solveBlock, s.n, r-1, solveNotFinite, solveSingular)
	return b.String(), nil
}

// launch solves nsys systems with k columns each; shape, ast and bst are
// the batch dims and A's and B's element strides along them.
func (s solve) launch(src string, x, a, bb, flag uint64, nsys, k int, shape, ast, bst []int, sms int) launch {
	r := max(s.nb, 1)
	if len(shape) == 0 {
		shape, ast, bst = []int{1}, []int{0}, []int{0}
	}
	var p params
	p.ptr(x)
	p.ptr(a)
	p.ptr(bb)
	p.ptr(flag)
	p.int(nsys)
	p.int(k)
	p.ints(shape, r)
	p.ints(ast, r)
	p.ints(bst, r)
	return launch{src: src, name: "solve", grid: gridFor(max(nsys*k, 1), solveBlock, sms), block: solveBlock, params: p}
}
