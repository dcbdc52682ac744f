package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var sizes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20}

// kinds of random matrix: diagonally dominant (well conditioned) and plain
// Gaussian (general: no structure, pivoting matters, condition ~n..1e4).
var kinds = []string{"wellcond", "general"}

func randMats(rng *rand.Rand, kind string, n, batch int) []float64 {
	a := make([]float64, batch*n*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	if kind == "wellcond" {
		for s := 0; s < batch; s++ {
			for i := 0; i < n; i++ {
				a[s*n*n+i*n+i] += float64(2 * n)
			}
		}
	}
	return a
}

func randVec(rng *rand.Rand, m int) []float64 {
	v := make([]float64, m)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func conv[T Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func back[T Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// relErr is the max-norm error of got relative to want.
func relErr(got, want []float64) float64 {
	var d, w float64
	for i := range want {
		d = max(d, math.Abs(got[i]-want[i]))
		w = max(w, math.Abs(want[i]))
	}
	if w == 0 {
		return d
	}
	return d / w
}

func tolFor[T Float]() float64 {
	var z T
	if _, ok := any(z).(float32); ok {
		return 1e-4
	}
	return 1e-10
}

// gonumSolve is the oracle: mat.Dense.Solve on one system.
func gonumSolve(t *testing.T, a, b []float64, n, k int) []float64 {
	var x mat.Dense
	if err := x.Solve(mat.NewDense(n, n, slices.Clone(a)), mat.NewDense(n, k, slices.Clone(b))); err != nil {
		t.Logf("gonum: %v", err) // a Condition warning; the result is still computed
	}
	return slices.Clone(x.RawMatrix().Data)
}

func testSolve[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range kinds {
		for _, n := range sizes {
			for _, k := range []int{1, 3} {
				for _, batch := range []int{1, 2, 3, 5, 17, 50} {
					a64, b64 := randMats(rng, kind, n, batch), randVec(rng, batch*n*k)
					a, b := conv[T](a64), conv[T](b64)
					a0, b0 := slices.Clone(a), slices.Clone(b)
					x := make([]T, batch*n*k)
					if err := Solve(a, b, x, n, k, batch); err != nil {
						t.Fatalf("%s n=%d k=%d batch=%d: %v", kind, n, k, batch, err)
					}
					if !slices.Equal(a, a0) || !slices.Equal(b, b0) {
						t.Fatalf("%s n=%d k=%d batch=%d: inputs modified", kind, n, k, batch)
					}
					for s := 0; s < batch; s++ {
						// The oracle solves the same (rounded) T inputs in float64.
						want := gonumSolve(t, back(a[s*n*n:(s+1)*n*n]), back(b[s*n*k:(s+1)*n*k]), n, k)
						if e := relErr(back(x[s*n*k:(s+1)*n*k]), want); e > tolFor[T]() {
							t.Fatalf("%s n=%d k=%d batch=%d system %d: rel err %.3g", kind, n, k, batch, s, e)
						}
					}
				}
			}
		}
	}
}

func TestSolveFloat64(t *testing.T) { testSolve[float64](t) }
func TestSolveFloat32(t *testing.T) { testSolve[float32](t) }

func testInv[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kind := range kinds {
		for _, n := range sizes {
			for _, batch := range []int{1, 4, 50} {
				a := conv[T](randMats(rng, kind, n, batch))
				a0 := slices.Clone(a)
				out := make([]T, len(a))
				if err := Inv(a, out, n, batch); err != nil {
					t.Fatalf("%s n=%d batch=%d: %v", kind, n, batch, err)
				}
				if !slices.Equal(a, a0) {
					t.Fatalf("n=%d: input modified", n)
				}
				for s := 0; s < batch; s++ {
					var inv mat.Dense
					if err := inv.Inverse(mat.NewDense(n, n, back(a[s*n*n:(s+1)*n*n]))); err != nil {
						t.Logf("gonum: %v", err)
					}
					if e := relErr(back(out[s*n*n:(s+1)*n*n]), inv.RawMatrix().Data); e > tolFor[T]() {
						t.Fatalf("%s n=%d batch=%d system %d: rel err %.3g", kind, n, batch, s, e)
					}
				}
			}
		}
	}
}

func TestInvFloat64(t *testing.T) { testInv[float64](t) }
func TestInvFloat32(t *testing.T) { testInv[float32](t) }

// spd returns batch symmetric positive definite matrices M·Mᵀ + n·I, with
// asym added above the diagonal and subtracted below, which leaves the
// symmetric part unchanged.
func spd(rng *rand.Rand, n, batch int, asym float64) []float64 {
	a := make([]float64, batch*n*n)
	for s := 0; s < batch; s++ {
		m := randVec(rng, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := 0.0
				for l := 0; l < n; l++ {
					v += m[i*n+l] * m[j*n+l]
				}
				if i == j {
					v += float64(n)
				}
				a[s*n*n+i*n+j] = v
			}
		}
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				d := asym * rng.NormFloat64()
				a[s*n*n+i*n+j] += d
				a[s*n*n+j*n+i] -= d
			}
		}
	}
	return a
}

func testCholesky[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, asym := range []float64{0, 0.5} {
		for _, n := range append(sizes, 70) {
			for _, batch := range []int{1, 3, 50} {
				a := conv[T](spd(rng, n, batch, asym))
				a0 := slices.Clone(a)
				out := make([]T, len(a))
				for i := range out {
					out[i] = 7 // Cholesky must clear the upper triangle
				}
				if err := Cholesky(a, out, n, batch); err != nil {
					t.Fatalf("n=%d batch=%d asym=%g: %v", n, batch, asym, err)
				}
				if !slices.Equal(a, a0) {
					t.Fatalf("n=%d: input modified", n)
				}
				for s := 0; s < batch; s++ {
					sys := back(a[s*n*n : (s+1)*n*n])
					sym := make([]float64, n*n)
					for i := 0; i < n; i++ {
						for j := 0; j < n; j++ {
							sym[i*n+j] = (sys[i*n+j] + sys[j*n+i]) / 2
						}
					}
					var c mat.Cholesky
					if !c.Factorize(mat.NewSymDense(n, sym)) {
						t.Fatalf("gonum: n=%d not PD", n)
					}
					var l mat.TriDense
					c.LTo(&l)
					want := mat.DenseCopyOf(&l).RawMatrix().Data
					if e := relErr(back(out[s*n*n:(s+1)*n*n]), want); e > tolFor[T]() {
						t.Fatalf("n=%d batch=%d asym=%g system %d: rel err %.3g", n, batch, asym, s, e)
					}
				}
			}
		}
	}
}

func TestCholeskyFloat64(t *testing.T) { testCholesky[float64](t) }
func TestCholeskyFloat32(t *testing.T) { testCholesky[float32](t) }

// TestPivoting uses matrices that elimination without row exchanges gets
// wrong or cannot do at all: zeros and tiny values on the diagonal.
func TestPivoting(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range sizes {
		for _, tiny := range []float64{0, 1e-20} {
			// A random permutation of a well-conditioned matrix's rows whose
			// diagonal is then forced to tiny.
			a := randMats(rng, "wellcond", n, 1)
			p := rng.Perm(n)
			pa := make([]float64, n*n)
			for i := 0; i < n; i++ {
				copy(pa[i*n:(i+1)*n], a[p[i]*n:(p[i]+1)*n])
				if n > 1 {
					pa[i*n+i] = tiny
				}
			}
			b := randVec(rng, n)
			x := make([]float64, n)
			err := Solve(pa, b, x, n, 1, 1)
			if n == 1 {
				continue // a 1×1 has nothing to exchange
			}
			if err != nil {
				t.Fatalf("n=%d tiny=%g: %v", n, tiny, err)
			}
			if e := relErr(x, gonumSolve(t, pa, b, n, 1)); e > 1e-10 {
				t.Fatalf("n=%d tiny=%g: rel err %.3g", n, tiny, e)
			}
			x32 := make([]float32, n)
			if err := Solve(conv[float32](pa), conv[float32](b), x32, n, 1, 1); err != nil {
				t.Fatalf("float32 n=%d: %v", n, err)
			}
			if e := relErr(back(x32), gonumSolve(t, back(conv[float32](pa)), back(conv[float32](b)), n, 1)); e > 1e-4 {
				t.Fatalf("float32 n=%d tiny=%g: rel err %.3g", n, tiny, e)
			}
		}
	}
}

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
				const batch, bad = 50, 17
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

// TestTinyScale takes the path where the generated kernels defer to gonum
// because reciprocal pivots could overflow.
func TestTinyScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 3, 8} {
		for _, k := range []int{1, 2} {
			a, b := randMats(rng, "general", n, 2), randVec(rng, 2*n*k)
			want := gonumSolve(t, a[n*n:], b[n*k:], n, k)
			for i := range a[n*n:] {
				a[n*n+i] *= 0x1p-1000
			}
			x := make([]float64, 2*n*k)
			if err := Solve(a, b, x, n, k, 2); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] *= 0x1p1000
			}
			if e := relErr(x[n*k:], want); e > 1e-10 {
				t.Fatalf("n=%d k=%d: rel err %.3g", n, k, e)
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
