package vmath

import (
	"math"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"testing"
)

// A transFn is a float32 slice function with its reference: the float64
// function rounded to float32.
type transFn struct {
	name   string
	vec    func(dst, x []float32)
	ref    func(x float32) float32
	maxUlp int64 // the documented bound
}

func sigmoidRef(x float32) float32 {
	v := float64(x)
	if v < 0 {
		e := math.Exp(v)
		return float32(e / (1 + e))
	}
	return float32(1 / (1 + math.Exp(-v)))
}

var transFns = []transFn{
	{"Exp", Exp32s, expRef, 1},
	{"Log", Log32s, func(x float32) float32 { return float32(math.Log(float64(x))) }, 2},
	{"Tanh", Tanh32s, func(x float32) float32 { return float32(math.Tanh(float64(x))) }, 2},
	{"Sigmoid", Sigmoid32s, sigmoidRef, 2},
}

// ulpDist is how many float32 values lie between a and b (0 for two NaNs,
// MaxInt32 for a NaN and a number), counting across zero.
func ulpDist(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt32
	}
	ord := func(x float32) int64 {
		u := int64(math.Float32bits(x))
		if u&(1<<31) != 0 {
			return -(u &^ (1 << 31))
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// sweep runs f on the bit patterns lo, lo+stride, … below hi, in parallel
// chunks, and returns the worst error in ulp with a histogram (0, 1, 2,
// more); it fails the test at the first error beyond maxUlp.
func sweep(t *testing.T, f transFn, lo, hi, stride uint64, maxUlp int64) (worst int64, hist [4]int64) {
	t.Helper()
	const chunk = 1 << 16
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan uint64)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			xs := make([]float32, chunk)
			dst := make([]float32, chunk)
			for base := range next {
				n := 0
				for b := base; b < hi && n < chunk; b += stride {
					xs[n] = math.Float32frombits(uint32(b))
					n++
				}
				f.vec(dst[:n], xs[:n])
				var w int64
				var h [4]int64
				for i, x := range xs[:n] {
					u := ulpDist(dst[i], f.ref(x))
					if u > maxUlp {
						mu.Lock()
						t.Errorf("%s(%v) [%#08x] = %v, want %v (%d ulp)", f.name, x, math.Float32bits(x), dst[i], f.ref(x), u)
						mu.Unlock()
					}
					w = max(w, u)
					h[min(u, 3)]++
				}
				mu.Lock()
				worst = max(worst, w)
				for i := range h {
					hist[i] += h[i]
				}
				mu.Unlock()
			}
		}()
	}
	for b := lo; b < hi && !t.Failed(); b += chunk * stride {
		next <- b
	}
	close(next)
	wg.Wait()
	return worst, hist
}

// TestTransAccuracy checks every 97th float32 bit pattern (all exponents,
// both signs, subnormals, Inf, NaN) and every 211th float32 in [-2, 2] for
// both implementations against the float64 functions: ≤ 1 ulp for exp, ≤ 2
// for the others.
func TestTransAccuracy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, f := range transFns {
			w1, h1 := sweep(t, f, 0, 1<<32, 97, f.maxUlp)
			w2, _ := sweep(t, f, 0, 0x40000001, 211, f.maxUlp)          // [0, 2]
			w3, _ := sweep(t, f, 0x80000000, 0xc0000001, 211, f.maxUlp) // [-2, -0]
			t.Logf("%-7s every 97th pattern: worst %d ulp, histogram (0, 1, 2, more) %v; [-2,2] every 211th: worst %d ulp",
				f.name, w1, h1, max(w2, w3))
		}
	})
}

// TestTransExhaustive checks all 2^32 inputs of each function on each path
// (several minutes on 2 cores): LOOM_EXHAUSTIVE=1 go test -run Exhaustive.
func TestTransExhaustive(t *testing.T) {
	if os.Getenv("LOOM_EXHAUSTIVE") == "" && os.Getenv("VMATH_EXHAUSTIVE") == "" {
		t.Skip("set LOOM_EXHAUSTIVE=1")
	}
	forEachImpl(t, func(t *testing.T) {
		for _, f := range transFns {
			t.Run(f.name, func(t *testing.T) {
				w, h := sweep(t, f, 0, 1<<32, 1, f.maxUlp)
				t.Logf("%-7s all 2^32 inputs: worst %d ulp; exact %d, 1 ulp %d, 2 ulp %d, worse %d", f.name, w, h[0], h[1], h[2], h[3])
			})
		}
	})
}

func TestTransSpecials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	nz := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		f    func(dst, x []float32)
		x    []float32
		want []float32
	}{
		{"Log", Log32s, []float32{0, nz, 1, inf, -inf, -1, nan, -0x1p-149, 0x1p-149, math.MaxFloat32},
			[]float32{-inf, -inf, 0, inf, nan, nan, nan, nan, float32(math.Log(0x1p-149)), float32(math.Log(math.MaxFloat32))}},
		{"Tanh", Tanh32s, []float32{0, nz, inf, -inf, nan, 1e-30, -1e-30, 0x1p-149, 10, -10, 1e30, -1e30},
			[]float32{0, nz, 1, -1, nan, 1e-30, -1e-30, 0x1p-149, 1, -1, 1, -1}},
		{"Sigmoid", Sigmoid32s, []float32{0, nz, inf, -inf, nan, 100, 1e30, -1e30, -100, -88, -103},
			[]float32{0.5, 0.5, 1, 0, nan, 1, 1, 0, sigmoidRef(-100), sigmoidRef(-88), sigmoidRef(-103)}},
	}
	forEachImpl(t, func(t *testing.T) {
		for _, c := range cases {
			dst := make([]float32, len(c.x))
			c.f(dst, c.x)
			for i, x := range c.x {
				if !same(dst[i], c.want[i]) {
					t.Errorf("%s(%v) = %v, want exactly %v", c.name, x, dst[i], c.want[i])
				}
			}
		}
	})
}

// TestTransLengths covers every tail length with dst inside a larger buffer
// and dst the same slice as x.
func TestTransLengths(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	fns := append(transFns, transFn{"ExpAffine", func(d, x []float32) { ExpAffine32s(d, x, -1.5, 0.25) },
		func(x float32) float32 { return expRef(exactFMA(-1.5, x, 0.25)) }, 1})
	forEachImpl(t, func(t *testing.T) {
		for _, f := range fns {
			for n := 0; n <= 70; n++ {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
					if i%5 == 0 {
						x[i] = randVal[float32](r)
					}
				}
				buf := make([]float32, n+2)
				buf[0], buf[n+1] = -7, -7
				dst := buf[1 : n+1]
				f.vec(dst, x)
				if buf[0] != -7 || buf[n+1] != -7 {
					t.Fatalf("%s n=%d: wrote outside dst", f.name, n)
				}
				for i, v := range x {
					if u := ulpDist(dst[i], f.ref(v)); u > f.maxUlp {
						t.Fatalf("%s n=%d: f(%v) = %v, want %v", f.name, n, v, dst[i], f.ref(v))
					}
				}
				f.vec(x, x)
				for i := range x {
					if !same(x[i], dst[i]) {
						t.Fatalf("%s n=%d in place: [%d] = %v, want %v", f.name, n, i, x[i], dst[i])
					}
				}
			}
		}
	})
}

// TestExpAffine: ExpAffine32s is Exp32s of Affine32s, bit for bit.
func TestExpAffine(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	x := make([]float32, 10000)
	for i := range x {
		x[i] = randVal[float32](r)
	}
	forEachImpl(t, func(t *testing.T) {
		for _, ab := range [][2]float32{{1, 0}, {-1, 0}, {0.37, -2.5}, {-12.5, 3}, {1e-3, 80}, {float32(math.Inf(1)), 0}} {
			got, want := make([]float32, len(x)), make([]float32, len(x))
			ExpAffine32s(got, x, ab[0], ab[1])
			Affine32s(want, x, ab[0], ab[1])
			Exp32s(want, want)
			for i := range x {
				if !same(got[i], want[i]) {
					t.Fatalf("ExpAffine32s(%v; %v, %v) = %v, want %v", x[i], ab[0], ab[1], got[i], want[i])
				}
			}
		}
	})
}

func TestFloat64Trans(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	x := make([]float64, 1000)
	for i := range x {
		x[i] = randVal[float64](r)
	}
	d := make([]float64, len(x))
	for _, c := range []struct {
		name string
		f    func(dst, x []float64)
		ref  func(float64) float64
	}{
		{"Exp", Exp64s, math.Exp}, {"Log", Log64s, math.Log}, {"Tanh", Tanh64s, math.Tanh},
	} {
		c.f(d, x)
		for i, v := range x {
			want := c.ref(v)
			if !same(d[i], want) {
				t.Fatalf("%s64s(%v) = %v, want %v", c.name, v, d[i], want)
			}
		}
	}
	// Sigmoid64s against two other formulas: 1/2 + tanh(x/2)/2 (absolute
	// error) and e^x for very negative x (relative).
	Sigmoid64s(d, x)
	for i, v := range x {
		switch {
		case v != v:
			if d[i] == d[i] {
				t.Fatalf("Sigmoid64s(NaN) = %v", d[i])
			}
		case v < -40:
			if e := math.Exp(v); math.Abs(d[i]-e) > 1e-14*e {
				t.Fatalf("Sigmoid64s(%v) = %v, want %v", v, d[i], e)
			}
		default:
			if want := 0.5 + 0.5*math.Tanh(v/2); math.Abs(d[i]-want) > 1e-15 {
				t.Fatalf("Sigmoid64s(%v) = %v, want %v", v, d[i], want)
			}
		}
	}
}
