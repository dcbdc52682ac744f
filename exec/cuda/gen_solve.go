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

// Failure codes a linear-algebra kernel reports: flag = min over failed
// matrices of index·4 + code, so the host learns the first failing one.
const (
	solveSingular  = 1 // also "not positive definite" for Cholesky
	solveNotFinite = 2
)

// solve is a batch of n×n systems A·X = B with k right-hand sides, one
// thread per (system, column): each factors its A by LU with partial
// pivoting (LAPACK's getf2: the first row of largest magnitude pivots;
// multipliers through the pivot's reciprocal) in float64, whatever the
// dtype, and rejects pivots no larger than ε·‖A‖_F (ε = 2⁻⁵²) — the CPU
// backend's rule. Batch dims index A and B through strides (0 where one
// side is shared).
// Up to regsN the matrix stays in registers.
type solve struct {
	dt tensor.Dtype
	n  int
	nb int // batch dims (after merging)
}

// smallLACheck validates a one-thread-per-matrix kernel's dtype and size.
func smallLACheck(what string, dt tensor.Dtype, n int) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("%s does not take %v", what, dt)
	}
	if n < 1 || n > maxSolveN {
		return fmt.Errorf("%s kernel takes 1 ≤ n ≤ %d, got %d", what, maxSolveN, n)
	}
	return nil
}

// luLoad is the C that loads the N×N matrix at src (element e at src[e])
// into m[] as doubles and sets tiny, the pivot threshold ε·‖A‖_F (scaled
// by max|aᵢⱼ| only where ‖A‖_F² under- or overflows, as the CPU backend
// does). A matrix holding NaN or ±Inf reports solveNotFinite for matrix
// idx and skips to the next (continue).
func luLoad(src, idx string) string {
	return fmt.Sprintf(`    double m[N * N];
    double big = 0.0, ss = 0.0;
    bool finite = true;
@U@
    for (int e = 0; e < N * N; e++) {
      const double v = (double)%[1]s[e];
      m[e] = v;
      finite = finite && isfinite(v);
      big = fmax(big, fabs(v));
      ss += v * v;
    }
    if (!finite) { atomicMin(p.flag, %[2]s * 4 + %[3]d); continue; }
    double norm = sqrt(ss);
    if (!(ss >= 2.2250738585072014e-308 && ss <= 1.7976931348623157e308) && big > 0.0) {
      ss = 0.0;
@U@
      for (int e = 0; e < N * N; e++) { const double u = m[e] / big; ss += u * u; }
      norm = big * sqrt(ss);
    }
    const double tiny = 2.220446049250313e-16 * norm;
`, src, idx, solveNotFinite)
}

// luPivot is the C that finds column j's pivot row among rows ≥ j and, when
// it is no larger than tiny, marks the matrix singular and leaves the
// elimination loop.
const luPivot = `      int piv = j;
      double best = fabs(m[j * N + j]);
@U@
      for (int i = j + 1; i < N; i++) { const double v = fabs(m[i * N + j]); if (v > best) { best = v; piv = i; } }
      if (!(best > tiny)) { ok = false; break; }
`

// regsN is the largest n whose matrix a thread keeps in registers: the
// loops over it are unrolled and rows swapped by predicated copies, so
// every index is a constant (ptxas for sm_90: no stack frame at n = 5,
// where swapping through the pivot's run-time index put the whole matrix
// in a 240-byte one). Above it the registers run out (n = 12 unrolled
// spills 4 KB), so the loops stay rolled and the matrix lives in local
// memory (L1), with one swap through the pivot's index.
const regsN = 9

// unrolled replaces the @U@ marks of a template: loops over the matrix are
// unrolled when it is kept in registers, rolled otherwise.
func unrolled(src string, regs bool) string {
	if regs {
		return strings.ReplaceAll(src, "@U@", "#pragma unroll")
	}
	return strings.ReplaceAll(src, "@U@", "#pragma unroll 1")
}

// luSwap is the C that swaps row j of m with row piv from column c0 on
// ("0" or "j"), and elements j and piv of the array aux (of C type auxT)
// unless aux is empty.
func luSwap(n int, c0, aux, auxT string) string {
	if n <= regsN {
		x := ""
		if aux != "" {
			x = fmt.Sprintf("\n          const %[2]s w = %[1]s[j]; %[1]s[j] = %[1]s[i]; %[1]s[i] = w;", aux, auxT)
		}
		return fmt.Sprintf(`@U@
      for (int i = j + 1; i < N; i++) {
        if (i == piv) {
@U@
          for (int c = %s; c < N; c++) { const double w = m[j * N + c]; m[j * N + c] = m[i * N + c]; m[i * N + c] = w; }%s
        }
      }
`, c0, x)
	}
	x := ""
	if aux != "" {
		x = fmt.Sprintf("\n        const %[2]s w = %[1]s[j]; %[1]s[j] = %[1]s[piv]; %[1]s[piv] = w;", aux, auxT)
	}
	return fmt.Sprintf(`      if (piv != j) {
        for (int c = %s; c < N; c++) { const double w = m[j * N + c]; m[j * N + c] = m[piv * N + c]; m[piv * N + c] = w; }%s
      }
`, c0, x)
}

func (s solve) Source() (string, error) {
	if err := smallLACheck("solve", s.dt, s.n); err != nil {
		return "", err
	}
	r := max(s.nb, 1)
	if r > maxRank {
		return "", fmt.Errorf("%d batch dims exceed %d", r, maxRank)
	}
	var b strings.Builder
	b.WriteString(prelude)
	b.WriteString(unrolled(fmt.Sprintf(`
struct sv_p { %[1]s* x; const %[1]s* a; const %[1]s* b; i64* flag; i64 nsys; i64 k; i64 shape[%[2]d]; i64 ast[%[2]d]; i64 bst[%[2]d]; };

extern "C" __global__ void __launch_bounds__(%[3]d) solve(const sv_p p) {
  constexpr int N = %[4]d;
  const i64 total = p.nsys * p.k, step = (i64)blockDim.x * gridDim.x;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    // 64-bit divisions cost tens of instructions: none for one column,
    // none for the outermost batch dim (q is below its size there).
    const i64 s = p.k == 1 ? t : t / p.k, col = t - s * p.k;
    i64 q = s, ao = 0, bo = 0;
#pragma unroll
    for (int d = %[5]d; d >= 0; d--) { const i64 c = d == 0 ? q : q %% p.shape[d]; q /= p.shape[d]; ao += c * p.ast[d]; bo += c * p.bst[d]; }
    const %[1]s* a = p.a + ao;
%[6]s    double y[N];
@U@
    for (int i = 0; i < N; i++) y[i] = (double)p.b[bo + i * p.k + col];
    bool ok = true;
@U@
    for (int j = 0; j < N; j++) {
%[7]s%[9]s      const double rp = 1.0 / m[j * N + j];
@U@
      for (int i = j + 1; i < N; i++) {
        const double l = m[i * N + j] * rp;
@U@
        for (int c = j + 1; c < N; c++) m[i * N + c] -= l * m[j * N + c];
        y[i] -= l * y[j];
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + %[8]d); continue; }
@U@
    for (int i = N - 1; i >= 0; i--) {
      double v = y[i];
@U@
      for (int c = i + 1; c < N; c++) v -= m[i * N + c] * y[c];
      y[i] = v / m[i * N + i];
    }
@U@
    for (int i = 0; i < N; i++) p.x[(s * N + i) * p.k + col] = (%[1]s)y[i];
  }
}
`, cType(s.dt), r, solveBlock, s.n, r-1, luLoad("a", "s"), luPivot, solveSingular, luSwap(s.n, "j", "y", "double")), s.n <= regsN))
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
