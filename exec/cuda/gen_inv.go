package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// inv inverts a batch of n×n matrices (n ≤ maxSolveN), contiguous in
// memory, one thread per matrix: LU with partial pivoting in float64 as
// solve factors (same pivots, same singularity threshold), then one
// forward and back substitution per column of the identity. Larger
// matrices go to cuBLAS's batched LU (steps_lu.go).
type inv struct {
	dt tensor.Dtype
	n  int
}

func (v inv) Source() (string, error) {
	if err := smallLACheck("inv", v.dt, v.n); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(prelude)
	b.WriteString(unrolled(fmt.Sprintf(`
struct iv_p { %[1]s* x; const %[1]s* a; i64* flag; i64 nmat; };

extern "C" __global__ void __launch_bounds__(%[2]d) inv(const iv_p p) {
  constexpr int N = %[3]d;
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 s = (i64)blockIdx.x * blockDim.x + threadIdx.x; s < p.nmat; s += step) {
    const %[1]s* a = p.a + s * (N * N);
%[4]s    int perm[N]; // row r of the factored P·A is row perm[r] of A
@U@
    for (int i = 0; i < N; i++) perm[i] = i;
    bool ok = true;
@U@
    for (int j = 0; j < N; j++) {
%[5]s%[6]s      const double rp = 1.0 / m[j * N + j];
@U@
      for (int i = j + 1; i < N; i++) {
        const double l = m[i * N + j] * rp;
        m[i * N + j] = l;
@U@
        for (int c = j + 1; c < N; c++) m[i * N + c] -= l * m[j * N + c];
      }
    }
    if (!ok) { atomicMin(p.flag, s * 4 + %[7]d); continue; }
    // Column c of A⁻¹ solves L·U·x = P·e_c.
    %[1]s* x = p.x + s * (N * N);
@U@
    for (int c = 0; c < N; c++) {
      double y[N];
@U@
      for (int i = 0; i < N; i++) {
        double v = perm[i] == c ? 1.0 : 0.0;
@U@
        for (int q = 0; q < i; q++) v -= m[i * N + q] * y[q];
        y[i] = v;
      }
@U@
      for (int i = N - 1; i >= 0; i--) {
        double v = y[i];
@U@
        for (int q = i + 1; q < N; q++) v -= m[i * N + q] * y[q];
        y[i] = v / m[i * N + i];
      }
@U@
      for (int i = 0; i < N; i++) x[i * N + c] = (%[1]s)y[i];
    }
  }
}
`, cType(v.dt), solveBlock, v.n, luLoad("a", "s"), luPivot, luSwap(v.n, "0", "perm", "int"), solveSingular), v.n <= regsN))
	return b.String(), nil
}

// launch inverts nmat matrices of a into x.
func (v inv) launch(src string, x, a, flag uint64, nmat, sms int) launch {
	var p params
	p.ptr(x)
	p.ptr(a)
	p.ptr(flag)
	p.int(nmat)
	return launch{src: src, name: "inv", grid: gridFor(max(nmat, 1), solveBlock, sms), block: solveBlock, params: p}
}
