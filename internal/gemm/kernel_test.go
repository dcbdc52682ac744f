package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBlocking runs the Go driver with tiny block sizes so that every loop
// (nc, kc, mc, edges) takes many trips on small, quickly checked problems.
func TestBlocking(t *testing.T) {
	defer func(b int) { sharedBudget = b }(sharedBudget)
	sharedBudget = 600 // several column passes in gemmRows
	r := rand.New(rand.NewPCG(9, 10))
	var s32 []*config[float32]
	var s64 []*config[float64]
	for lvl := levelGeneric; lvl <= hwLevel; lvl++ {
		c32, c64 := *s32Cfg[lvl], *s64Cfg[lvl]
		c32.mc, c32.kc, c32.nc = 2*c32.mr, 5, 2*c32.nr
		c64.mc, c64.kc, c64.nc = 3*c64.mr, 7, 3*c64.nr
		s32, s64 = append(s32, &c32), append(s64, &c64)
	}
	for i := range 40 {
		m, n, k := 1+r.IntN(70), 1+r.IntN(150), 1+r.IntN(40)
		s := scalars[i%4]
		p := newProblem(r, i&1 != 0, i&2 != 0, m, n, k, 1, s[0], s[1])
		// Sequential, and both parallel schemes whatever the size.
		for _, cf := range s32 {
			for _, f := range []func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int){cf.seq, cf.gemmRows, cf.gemmCols} {
				checkProblem(t, r, p, 1e-6, func(p problem, a, b, c []float32) {
					f(p.tA, p.tB, p.m, p.n, p.k, float32(p.alpha), a, p.lda, b, p.ldb, float32(p.beta), c, p.ldc)
				})
			}
		}
		for _, cf := range s64 {
			for _, f := range []func(bool, bool, int, int, int, float64, []float64, int, []float64, int, float64, []float64, int){cf.seq, cf.gemmRows, cf.gemmCols} {
				checkProblem(t, r, p, 1e-14, func(p problem, a, b, c []float64) {
					f(p.tA, p.tB, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, p.ldc)
				})
			}
		}
	}
}

// TestKernelsAgree feeds the assembly and generic micro-kernels the same
// packed panels.
func TestKernelsAgree(t *testing.T) {
	if hwLevel == levelGeneric {
		t.Skip("no assembly kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for lvl := levelAVX2; lvl <= hwLevel; lvl++ {
		c32, c64 := s32Cfg[lvl], s64Cfg[lvl]
		for _, k := range []int{0, 1, 3, 4, 5, 8, 17, 256} {
			for _, load := range []bool{false, true} {
				kernelsAgree(t, r, k, c32.mr, c32.nr, c32.nr+3, float32(1.5), float32(-0.5), load,
					c32.kern, kernGeneric[float32](c32.mr, c32.nr), 1e-6)
				kernelsAgree(t, r, k, c64.mr, c64.nr, c64.nr+3, 1.5, -0.5, load,
					c64.kern, kernGeneric[float64](c64.mr, c64.nr), 1e-14)
			}
		}
	}
}

// TestPackAgree checks the assembly packing routines against the Go ones on
// ragged shapes (k tails of the 4- and 8-column loops, partial panels).
func TestPackAgree(t *testing.T) {
	if hwLevel == levelGeneric {
		t.Skip("no assembly packing on this CPU")
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, kb := range []int{1, 3, 4, 7, 8, 9, 17, 64} {
		for _, tr := range []bool{false, true} {
			for _, nr := range []int{16, 64} {
				const rows, ld = 200, 80
				x := fill[float32](r, rows*ld+ld)
				mb, nb := 6*3+r.IntN(6), nr*2+r.IntN(nr)
				want := make([]float32, kb*roundUp(max(mb, nb), nr))
				got := make([]float32, len(want))
				packA(tr, x, ld, 2, 1, mb, kb, 6, want, false)
				packA(tr, x, ld, 2, 1, mb, kb, 6, got, true)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("packA tA=%v kb=%d mb=%d: [%d] asm %g go %g", tr, kb, mb, i, got[i], want[i])
					}
				}
				packB(tr, x, ld, 1, 3, kb, nb, nr, want, false)
				packB(tr, x, ld, 1, 3, kb, nb, nr, got, true)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("packB tB=%v kb=%d nb=%d nr=%d: [%d] asm %g go %g", tr, kb, nb, nr, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func kernelsAgree[T num](t *testing.T, r *rand.Rand, k, mr, nr, ldc int, alpha, beta T, load bool,
	asm, gen kernFn[T], eps float64) {
	t.Helper()
	a, b := fill[T](r, k*mr+1), fill[T](r, k*nr+1)
	c1 := fill[T](r, mr*ldc)
	if !load {
		for i := range c1 {
			c1[i] = T(math.NaN())
		}
	}
	c2 := append([]T(nil), c1...)
	asm(k, &a[0], &b[0], &c1[0], ldc, alpha, beta, load)
	gen(k, &a[0], &b[0], &c2[0], ldc, alpha, beta, load)
	for i := range c1 {
		inTile := i%ldc < nr
		d := math.Abs(float64(c1[i]) - float64(c2[i]))
		if inTile && !(d <= eps*float64(k+2)) || !inTile && !(c1[i] == c2[i] || c1[i] != c1[i] && c2[i] != c2[i]) {
			t.Fatalf("k=%d load=%v: C[%d] asm %g generic %g", k, load, i, c1[i], c2[i])
		}
	}
}
