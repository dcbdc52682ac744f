package linalg

import (
	"math"
	"math/rand/v2"
	"slices"
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
			inv := make([]float64, n*n)
			if err := Inv(pa, inv, n, 1); err != nil {
				t.Fatalf("Inv n=%d tiny=%g: %v", n, tiny, err)
			}
			var want mat.Dense
			if err := want.Inverse(mat.NewDense(n, n, slices.Clone(pa))); err != nil {
				t.Fatal(err)
			}
			if e := relErr(inv, want.RawMatrix().Data); e > 1e-10 {
				t.Fatalf("Inv n=%d tiny=%g: rel err %.3g", n, tiny, e)
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
