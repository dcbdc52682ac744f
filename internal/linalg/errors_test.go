package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// singularize makes system s of a singular in one of several ways.
func singularize(a []float64, n, s int, how string) {
	sys := a[s*n*n : (s+1)*n*n]
	switch how {
	case "zero":
		clear(sys)
	case "duplicate row": // exact zero pivot
		copy(sys[(n-1)*n:], sys[:n])
	case "scaled row": // a pivot of rounding-error size, not exactly zero
		for j := 0; j < n; j++ {
			sys[(n-1)*n+j] = 3 * sys[j]
		}
	case "zero column":
		for i := 0; i < n; i++ {
			sys[i*n+n/2] = 0
		}
	}
}

func TestSingularReportsIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range sizes {
		for _, how := range []string{"zero", "duplicate row", "scaled row", "zero column"} {
			if n == 1 && how != "zero" && how != "zero column" {
				continue
			}
			for _, k := range []int{1, 3} {
				const batch = 50
				bad := 17 // the second of a pair (16, 17) …
				if n%2 == 0 {
					bad = 16 // … or the first
				}
				// Rounded to float32 first, so that the float32 copy is
				// exactly as singular as the float64 one.
				a := back(conv[float32](randMats(rng, "general", n, batch)))
				singularize(a, n, bad, how)
				singularize(a, n, 40, how) // a later one must not be reported
				b := randVec(rng, batch*n*k)
				want := fmt.Sprintf("system %d: matrix is singular", bad)
				errs := map[string]error{
					"float64": Solve(a, b, make([]float64, batch*n*k), n, k, batch),
					"inv":     Inv(a, make([]float64, batch*n*n), n, batch),
				}
				// 3× a float32 row is not a float32 row: that float32 matrix
				// is merely ill-conditioned, and solved in float64 it is not
				// singular.
				if how != "scaled row" {
					errs["float32"] = Solve(conv[float32](a), conv[float32](b), make([]float32, batch*n*k), n, k, batch)
				}
				for name, err := range errs {
					if !errors.Is(err, ErrSingular) || err.Error() != want {
						t.Fatalf("n=%d %s k=%d %s: got %v, want %q", n, how, k, name, err, want)
					}
				}
			}
		}
	}
}

// TestParallelFirstFailure runs batches big enough to be split over the pool
// and checks that the lowest failing system wins whichever block finishes
// first.
func TestParallelFirstFailure(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{2, 5, 8, 12} {
		for _, k := range []int{1, 2} {
			batch := 4 * grain(n, k)
			a, b := randMats(rng, "wellcond", n, batch), randVec(rng, batch*n*k)
			x := make([]float64, batch*n*k)
			if err := Solve(a, b, x, n, k, batch); err != nil {
				t.Fatal(err)
			}
			for _, s := range []int{0, batch / 2, batch - 1} {
				want := gonumSolve(t, a[s*n*n:(s+1)*n*n], b[s*n*k:(s+1)*n*k], n, k)
				if e := relErr(x[s*n*k:(s+1)*n*k], want); e > 1e-10 {
					t.Fatalf("n=%d system %d: rel err %.3g", n, s, e)
				}
			}
			bad := []int{batch - 2, batch/2 + 1, batch / 3}
			for _, s := range bad {
				singularize(a, n, s, "zero")
			}
			err := Solve(a, b, x, n, k, batch)
			if want := fmt.Sprintf("system %d:", batch/3); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("n=%d: got %v, want %s…", n, err, want)
			}
		}
	}
}

func TestNotFiniteAndNotPD(t *testing.T) {
	a := []float64{4, 1, 1, 3, 2, 0, 0, 2, 1, 2, 2, 1} // PD, PD, not PD
	if err := Cholesky(a, make([]float64, 12), 2, 3); !errors.Is(err, ErrNotPositiveDefinite) || err.Error() != "system 2: matrix is not positive definite" {
		t.Fatalf("got %v", err)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		a := []float64{1, 0, 0, 1, 1, 0, 0, v}
		err := Solve(a, []float64{1, 1, 1, 1}, make([]float64, 4), 2, 1, 2)
		if !errors.Is(err, ErrNotFinite) || !strings.HasPrefix(err.Error(), "system 1: ") || !strings.Contains(err.Error(), "[1 1]") {
			t.Fatalf("Solve %v: got %v", v, err)
		}
		if err := Inv(a, make([]float64, 8), 2, 2); !errors.Is(err, ErrNotFinite) {
			t.Fatalf("Inv %v: got %v", v, err)
		}
		if err := Cholesky(a, make([]float64, 8), 2, 2); !errors.Is(err, ErrNotPositiveDefinite) {
			t.Fatalf("Cholesky %v: got %v", v, err)
		}
	}
	// One ulp from singular (condition ~2e16): the reference interpreter
	// rejects it, and so do we.
	nearly := []float64{1, 1, 1, 1 + 2.3e-16}
	if err := Inv(nearly, make([]float64, 4), 2, 1); !errors.Is(err, ErrSingular) {
		t.Fatalf("nearly singular: got %v", err)
	}
}

// TestExtremeScale takes the path where the generated kernels defer to
// gonum because ‖A‖_F² underflows or overflows.
func TestExtremeScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, e := range []int{-1000, -600, 600, 1000} {
		for _, n := range []int{1, 3, 8, 9} {
			for _, k := range []int{1, 2} {
				a, b := randMats(rng, "general", n, 2), randVec(rng, 2*n*k)
				want := gonumSolve(t, a[n*n:], b[n*k:], n, k)
				for i := range a[n*n:] {
					a[n*n+i] = math.Ldexp(a[n*n+i], e)
				}
				x := make([]float64, 2*n*k)
				if err := Solve(a, b, x, n, k, 2); err != nil {
					t.Fatalf("2^%d n=%d k=%d: %v", e, n, k, err)
				}
				for i := range want {
					want[i] = math.Ldexp(want[i], -e)
				}
				if e := relErr(x[n*k:], want); e > 1e-10 {
					t.Fatalf("n=%d k=%d: rel err %.3g", n, k, e)
				}
			}
		}
	}
}

func TestAliasAndSizes(t *testing.T) {
	a := []float64{2, 0, 0, 4}
	b := []float64{2, 4, 6, 8}
	if err := Solve(a, b, b, 2, 2, 1); err != nil || !slices.Equal(b, []float64{1, 2, 1.5, 2}) {
		t.Fatalf("in place: %v %v", b, err)
	}
	bv := []float64{2, 4}
	if err := Solve(a, bv, bv, 2, 1, 1); err != nil || !slices.Equal(bv, []float64{1, 1}) {
		t.Fatalf("in place k=1: %v %v", bv, err)
	}
	for _, c := range []struct {
		n, k, batch, la, lb, lx int
		want                    string
	}{
		{2, 1, 2, 7, 4, 4, "a has 7 elements, want 8"},
		{2, 1, 2, 8, 3, 4, "b has 3"},
		{2, 3, 2, 8, 12, 11, "x has 11"},
		{-1, 1, 1, 0, 0, 0, "negative"},
	} {
		err := Solve(make([]float32, c.la), make([]float32, c.lb), make([]float32, c.lx), c.n, c.k, c.batch)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: got %v", c, err)
		}
	}
	for _, err := range []error{
		Solve[float64](nil, nil, nil, 3, 1, 0),
		Solve[float64](nil, nil, nil, 0, 1, 5),
		Solve(make([]float64, 45), nil, nil, 3, 0, 5),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := Inv(make([]float64, 3), make([]float64, 4), 2, 1); err == nil {
		t.Fatal("short a accepted")
	}
}
