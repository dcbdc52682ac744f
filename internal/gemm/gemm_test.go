package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loomtensor/loom/internal/blas"
)

// paths runs fn once per implementation this machine has: each Go kernel
// level it supports (OpenBLAS bypassed, lower levels forced) and OpenBLAS
// (skipped, saying why, when it could not be loaded).
func paths(t *testing.T, fn func(t *testing.T)) {
	for lvl := levelAVX512; lvl >= levelGeneric; lvl-- {
		t.Run(levelNames[lvl], func(t *testing.T) {
			if lvl > hwLevel {
				t.Skipf("CPU lacks the features (best here: %s)", levelNames[hwLevel])
			}
			defer ForceGo(ForceGo(true))
			defer maxLevel.Store(maxLevel.Swap(int32(lvl)))
			if Backend() != levelNames[lvl] {
				t.Fatalf("Backend()=%q, want %q", Backend(), levelNames[lvl])
			}
			fn(t)
		})
	}
	t.Run("openblas", func(t *testing.T) {
		if !blas.Available() {
			t.Skip(blas.Reason())
		}
		defer ForceGo(ForceGo(false))
		// Every problem, including those preferBLAS sends to Go.
		defer forceBLAS.Store(forceBLAS.Swap(true))
		fn(t)
	})
}

type num interface{ float32 | float64 }

// problem is one (possibly batched) GEMM with padded leading dimensions.
type problem struct {
	tA, tB         bool
	m, n, k, batch int
	lda, ldb, ldc  int
	sA, sB, sC     int
	alpha, beta    float64
	nanC           bool // fill C with NaN (only meaningful with beta 0)
}

func (p problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d batch=%d ld=%d,%d,%d s=%d,%d,%d α=%g β=%g",
		p.tA, p.tB, p.m, p.n, p.k, p.batch, p.lda, p.ldb, p.ldc, p.sA, p.sB, p.sC, p.alpha, p.beta)
}

// newProblem pads leading dimensions and strides at random (stride 0 allowed
// for A and B).
func newProblem(r *rand.Rand, tA, tB bool, m, n, k, batch int, alpha, beta float64) problem {
	p := problem{tA: tA, tB: tB, m: m, n: n, k: k, batch: batch, alpha: alpha, beta: beta}
	ac, bc := k, n
	ar, br := m, k
	if tA {
		ac, ar = m, k
	}
	if tB {
		bc, br = k, n
	}
	p.lda = max(1, ac) + r.IntN(3)
	p.ldb = max(1, bc) + r.IntN(3)
	p.ldc = max(1, n) + r.IntN(3)
	p.sA = ar*p.lda + r.IntN(5)
	p.sB = br*p.ldb + r.IntN(5)
	p.sC = m*p.ldc + r.IntN(5)
	if batch > 1 && r.IntN(3) == 0 {
		p.sA = 0
	}
	if batch > 1 && r.IntN(3) == 0 {
		p.sB = 0
	}
	return p
}

func sizeOf(rows, ld, stride, batch int) int { return (batch-1)*stride + rows*ld }

func fill[T num](r *rand.Rand, n int) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(r.Float64()*2 - 1)
	}
	return x
}

// checkProblem runs p through gemmFn and compares every C element with a
// float64 triple loop, scaled by the magnitude of the terms summed; the
// padding between C's rows and matrices must stay untouched.
func checkProblem[T num](t *testing.T, r *rand.Rand, p problem, eps float64,
	gemmFn func(p problem, a, b, c []T)) {
	t.Helper()
	ar, br := p.m, p.k
	if p.tA {
		ar = p.k
	}
	if p.tB {
		br = p.n
	}
	a := fill[T](r, sizeOf(ar, p.lda, p.sA, p.batch))
	b := fill[T](r, sizeOf(br, p.ldb, p.sB, p.batch))
	c := fill[T](r, sizeOf(p.m, p.ldc, p.sC, p.batch))
	inC := make([]bool, len(c))
	for q := range p.batch {
		for i := range p.m {
			for j := range p.n {
				inC[q*p.sC+i*p.ldc+j] = true
				if p.nanC {
					c[q*p.sC+i*p.ldc+j] = T(math.NaN())
				}
			}
		}
	}
	c0 := append([]T(nil), c...)
	gemmFn(p, a, b, c)
	for q := range p.batch {
		for i := range p.m {
			for j := range p.n {
				var sum, mag float64
				for l := range p.k {
					ai, bi := q*p.sA+i*p.lda+l, q*p.sB+l*p.ldb+j
					if p.tA {
						ai = q*p.sA + l*p.lda + i
					}
					if p.tB {
						bi = q*p.sB + j*p.ldb + l
					}
					sum += float64(a[ai]) * float64(b[bi])
					mag += math.Abs(float64(a[ai]) * float64(b[bi]))
				}
				ci := q*p.sC + i*p.ldc + j
				want := p.alpha * sum
				mag = math.Abs(p.alpha) * mag
				if p.beta != 0 {
					want += p.beta * float64(c0[ci])
					mag += math.Abs(p.beta * float64(c0[ci]))
				}
				if got := float64(c[ci]); !(math.Abs(got-want) <= eps*float64(p.k+2)*mag+1e-30) {
					t.Fatalf("%v: C[%d][%d][%d] = %g, want %g", p, q, i, j, got, want)
				}
			}
		}
	}
	for i := range c {
		if !inC[i] && c[i] != c0[i] {
			t.Fatalf("%v: wrote outside C at %d", p, i)
		}
	}
}

func sgemmBatchP(p problem, a, b, c []float32) {
	SgemmBatch(p.tA, p.tB, p.m, p.n, p.k, float32(p.alpha), a, p.lda, p.sA, b, p.ldb, p.sB,
		float32(p.beta), c, p.ldc, p.sC, p.batch)
}

func dgemmBatchP(p problem, a, b, c []float64) {
	DgemmBatch(p.tA, p.tB, p.m, p.n, p.k, p.alpha, a, p.lda, p.sA, b, p.ldb, p.sB,
		p.beta, c, p.ldc, p.sC, p.batch)
}

func sgemmP(p problem, a, b, c []float32) {
	Sgemm(p.tA, p.tB, p.m, p.n, p.k, float32(p.alpha), a, p.lda, b, p.ldb, float32(p.beta), c, p.ldc)
}

func dgemmP(p problem, a, b, c []float64) {
	Dgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, p.ldc)
}

var scalars = [][2]float64{{1, 0}, {1, 1}, {0.5, -1.5}, {-2, 0}, {0, 0.5}, {0, 0}}

// smallProblems: every transpose pair over odd sizes 1..70, all scalar pairs.
func smallProblems(seed uint64, batch int) []problem {
	r := rand.New(rand.NewPCG(seed, 1))
	sizes := []int{1, 2, 3, 5, 6, 7, 8, 13, 16, 17, 31, 33, 47, 64, 70}
	var ps []problem
	for i := range 60 {
		m, n, k := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
		if i%15 == 0 {
			k = 0
		}
		s := scalars[i%len(scalars)]
		p := newProblem(r, i&1 != 0, i&2 != 0, m, n, k, batch, s[0], s[1])
		p.nanC = s[1] == 0 && i%4 < 2
		ps = append(ps, p)
	}
	return ps
}

func TestSgemmSmall(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, p := range smallProblems(3, 1) {
			checkProblem(t, r, p, 1e-6, sgemmP)
		}
	})
}

func TestDgemmSmall(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 3))
		for _, p := range smallProblems(4, 1) {
			checkProblem(t, r, p, 1e-14, dgemmP)
		}
	})
}

func TestBatch(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, batch := range []int{2, 3, 5, 8} {
			for _, p := range smallProblems(uint64(batch), batch)[:20] {
				checkProblem(t, r, p, 1e-6, sgemmBatchP)
				checkProblem(t, r, p, 1e-14, dgemmBatchP)
			}
		}
	})
}

// TestLarge crosses the kc/mc blocks, the parallel row and column splits,
// the batch split, and the fold of a shared-B batch into one tall GEMM.
func TestLarge(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, sh := range [][4]int{
			{200, 190, 300, 1}, // row split, two k blocks
			{7, 1500, 400, 1},  // too few rows: column split
			{300, 20, 520, 1},  // three k blocks
			{64, 96, 40, 8},    // batch split
			{150, 180, 260, 3}, // batch not divisible: one GEMM at a time
		} {
			for tr := range 4 {
				p := newProblem(r, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], sh[3], 1.25, 0.75)
				checkProblem(t, r, p, 1e-6, sgemmBatchP)
				checkProblem(t, r, p, 1e-14, dgemmBatchP)
			}
		}
		// Stacked A and C sharing B: runs as one (batch·m)×n GEMM.
		p := problem{m: 33, n: 40, k: 29, batch: 4, lda: 30, ldb: 41, ldc: 42, alpha: 1, beta: -1}
		p.sA, p.sC = p.m*p.lda, p.m*p.ldc
		checkProblem(t, r, p, 1e-6, sgemmBatchP)
		// Heads interleaved in C's rows (ldc = heads·n), the attention layout.
		p = problem{m: 20, n: 8, k: 12, batch: 4, lda: 12, ldb: 8, ldc: 32, sA: 240, sB: 96, sC: 8, alpha: 1}
		checkProblem(t, r, p, 1e-6, sgemmBatchP)
	})
}

// TestConcurrent runs GEMMs from several goroutines at once (shared buffer
// pools, nested use of the worker pool, OpenBLAS's single-thread sections)
// and checks each against the same GEMM run alone.
func TestConcurrent(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		const G = 4
		shapes := [][3]int{{150, 170, 300}, {64, 600, 40}, {7, 1200, 100}, {90, 90, 90}}
		type job struct{ a, b, want, got []float32 }
		jobs := make([]job, G)
		for g := range jobs {
			s := shapes[g]
			j := job{a: fill[float32](r, s[0]*s[2]), b: fill[float32](r, s[2]*s[1])}
			j.want, j.got = make([]float32, s[0]*s[1]), make([]float32, s[0]*s[1])
			Sgemm(false, false, s[0], s[1], s[2], 1, j.a, s[2], j.b, s[1], 0, j.want, s[1])
			jobs[g] = j
		}
		done := make(chan int)
		for g := range G {
			go func() {
				s, j := shapes[g], jobs[g]
				for range 5 {
					Sgemm(false, false, s[0], s[1], s[2], 1, j.a, s[2], j.b, s[1], 0, j.got, s[1])
				}
				done <- g
			}()
		}
		for range G {
			g := <-done
			for i := range jobs[g].want {
				if jobs[g].got[i] != jobs[g].want[i] {
					t.Fatalf("goroutine %d: C[%d] = %g concurrently, %g alone", g, i, jobs[g].got[i], jobs[g].want[i])
				}
			}
		}
	})
}

func TestPanics(t *testing.T) {
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		fn()
	}
	x := make([]float32, 16)
	mustPanic("short a", func() { Sgemm(false, false, 4, 4, 5, 1, x, 5, x, 4, 0, x, 4) })
	mustPanic("small lda", func() { Sgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) })
	mustPanic("strideC 0", func() { SgemmBatch(false, false, 2, 2, 2, 1, x, 2, 0, x, 2, 0, 0, x, 2, 0, 2) })
	mustPanic("negative", func() { Sgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) })
	// Empty problems touch nothing, even with nil slices.
	Sgemm(false, false, 0, 3, 3, 1, nil, 3, x, 3, 0, nil, 3)
	Dgemm(true, true, 3, 0, 3, 1, make([]float64, 9), 3, nil, 3, 0, nil, 1)
}

func TestBackend(t *testing.T) {
	prev := ForceGo(true)
	defer ForceGo(prev)
	if got, want := Backend(), levelNames[hwLevel]; got != want {
		t.Fatalf("forced Go: Backend()=%q, want %q", got, want)
	}
	ForceGo(false)
	t.Logf("default backend: %s (OpenBLAS: %v %s)", Backend(), blas.Available(), blas.Reason())
}
