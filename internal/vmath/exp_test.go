package vmath

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
)

func ulps(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// expRef is the correctly rounded reference (math.Exp is accurate to < 1
// ulp of float64, far finer than float32's).
func expRef(x float32) float32 { return float32(math.Exp(float64(x))) }

// expErr is the error of got in ulps of the reference; NaN must give NaN.
func expErr(got, x float32) int64 {
	want := expRef(x)
	if want != want {
		if got != got {
			return 0
		}
		return math.MaxInt32
	}
	return ulps(got, want)
}

type impl struct {
	name string
	avx2 bool
}

// impls lists the implementations this machine can run.
func impls() []impl {
	l := []impl{{"go", false}}
	if hasAVX2 {
		l = append(l, impl{"avx2", true})
	}
	return l
}

// forEachImpl runs f with each implementation selected.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			defer func(old bool) { useAVX2 = old }(useAVX2)
			useAVX2 = im.avx2
			if got := Impl(); got != im.name {
				t.Fatalf("Impl() = %q, want %q", got, im.name)
			}
			f(t)
		})
	}
}

func TestImpl(t *testing.T) {
	t.Logf("Impl() = %s (GOARCH %s, hasAVX2 %v)", Impl(), runtime.GOARCH, hasAVX2)
	if hasAVX2 != (Impl() == "avx2") {
		t.Errorf("Impl() = %s but hasAVX2 = %v", Impl(), hasAVX2)
	}
}

func TestExp32Accuracy(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	worst := int64(0)
	for i := 0; i < 2_000_000; i++ {
		x := float32(r.Float64()*200 - 100)
		if i%4 == 0 {
			x = float32(r.Float64()*2 - 1)
		}
		if u := expErr(Exp32(x), x); u > worst {
			worst = u
			if u > 1 {
				t.Fatalf("Exp32(%v) = %v, want %v (%d ulp)", x, Exp32(x), expRef(x), u)
			}
		}
	}
	t.Logf("worst error %d ulp", worst)
	for _, x := range specials() {
		if u := expErr(Exp32(x), x); u > 1 {
			t.Errorf("Exp32(%v) = %v, want %v", x, Exp32(x), expRef(x))
		}
	}
}

func specials() []float32 {
	inf := float32(math.Inf(1))
	l := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-8, -1e-8, 1e-45, -1e-45,
		88, 88.7, 88.72283, 88.72284, 88.722839, 88.7229, 89, 90, 91, 100, 1000, 1e30, math.MaxFloat32,
		-87.33654, -87.33655, -87.3, -87.4, -88, -100, -103.9, -103.97, -103.972, -103.97208, -103.98,
		-104, -109, -110, -111, -1000, -1e30, -math.MaxFloat32,
		inf, -inf, float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000)}
	for x := float32(-110); x <= 92; x += 0.25 {
		l = append(l, x)
	}
	return l
}

// checkExp32s runs Exp32s on xs (and, to test tails and offsets, on
// sub-slices of it) and fails beyond maxUlp.
func checkExp32s(t *testing.T, xs []float32, maxUlp int64) (worst int64, hist [3]int) {
	t.Helper()
	dst := make([]float32, len(xs))
	Exp32s(dst, xs)
	for i, x := range xs {
		u := expErr(dst[i], x)
		if u > maxUlp {
			t.Fatalf("Exp32s: e^%v (%#08x) = %v (%#08x), want %v (%d ulp)", x, math.Float32bits(x), dst[i], math.Float32bits(dst[i]), expRef(x), u)
		}
		worst = max(worst, u)
		hist[min(u, 2)]++
	}
	return worst, hist
}

func TestExp32sAccuracy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(2))
		xs := make([]float32, 4_000_000)
		for i := range xs {
			switch i % 4 {
			case 0:
				xs[i] = float32(r.Float64()*2 - 1)
			case 1:
				xs[i] = float32(r.Float64()*220 - 115)
			default:
				xs[i] = float32(r.Float64()*200 - 100)
			}
		}
		w, h := checkExp32s(t, xs, 1)
		t.Logf("random [-115,105]: worst %d ulp; exact %d, 1 ulp %d", w, h[0], h[1])

		// Every float32 bit pattern with a stride: all exponents, both
		// signs, subnormal inputs, Inf, NaN.
		xs = xs[:0]
		for b := uint64(0); b < 1<<32; b += 4093 {
			xs = append(xs, math.Float32frombits(uint32(b)))
		}
		w, h = checkExp32s(t, xs, 1)
		t.Logf("bit-pattern sweep (%d values): worst %d ulp; exact %d, 1 ulp %d", len(xs), w, h[0], h[1])

		// Every float32 where the result is subnormal or about to become
		// zero, and where it is about to overflow.
		xs = xs[:0]
		for x := float32(-105); x <= -87; x = math.Nextafter32(x, 0) {
			xs = append(xs, x)
		}
		for x := float32(88); x <= 89; x = math.Nextafter32(x, 100) {
			xs = append(xs, x)
		}
		w, h = checkExp32s(t, xs, 1)
		t.Logf("every float32 in [-105,-87] and [88,89]: worst %d ulp; exact %d, 1 ulp %d", w, h[0], h[1])

		// The special values are exact.
		xs = specials()
		dst := make([]float32, len(xs))
		Exp32s(dst, xs)
		for i, x := range xs {
			want := expRef(x)
			switch {
			case x != x:
				if dst[i] == dst[i] {
					t.Errorf("e^NaN = %v", dst[i])
				}
			case want == 0 || math.IsInf(float64(want), 0) || x == 0:
				if dst[i] != want {
					t.Errorf("e^%v = %v, want exactly %v", x, dst[i], want)
				}
			default:
				if u := ulps(dst[i], want); u > 1 {
					t.Errorf("e^%v = %v, want %v (%d ulp)", x, dst[i], want, u)
				}
			}
		}
	})
}

// All 2^32 inputs of Exp32s: TestTransExhaustive (trans_test.go).

func TestLengths(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(3))
		const sentinel = float32(-12345)
		for n := 0; n <= 40; n++ {
			for off := 0; off < 3; off++ {
				src := make([]float32, off+n)
				for i := range src {
					src[i] = float32(r.NormFloat64() * 20)
				}
				src = src[off:]
				dst := make([]float32, n+2)
				for i := range dst {
					dst[i] = sentinel
				}
				Exp32s(dst[off%2:off%2+n], src)
				got := dst[off%2:]
				for i, x := range src {
					if u := expErr(got[i], x); u > 1 {
						t.Fatalf("n=%d: e^%v = %v, want %v", n, x, got[i], expRef(x))
					}
				}
				if dst[off%2+n] != sentinel || (off%2 == 1 && dst[0] != sentinel) {
					t.Fatalf("n=%d: Exp32s wrote outside dst", n)
				}

				// In place, and ExpShiftSum32 agreeing with Exp32s.
				shift := float32(0)
				for _, x := range src {
					shift = max(shift, x)
				}
				sh := make([]float32, n)
				for i, x := range src {
					sh[i] = x - shift
				}
				want := make([]float32, n)
				Exp32s(want, sh)
				Exp32s(sh, sh)
				ess := make([]float32, n+1)
				ess[n] = sentinel
				sum := ExpShiftSum32(ess[:n], src, shift)
				var sum64 float64
				for i := range want {
					if sh[i] != want[i] || ess[i] != want[i] {
						t.Fatalf("n=%d i=%d: in-place %v, ExpShiftSum32 %v, Exp32s %v", n, i, sh[i], ess[i], want[i])
					}
					sum64 += float64(want[i])
				}
				if ess[n] != sentinel {
					t.Fatalf("n=%d: ExpShiftSum32 wrote outside dst", n)
				}
				if d := math.Abs(float64(sum) - sum64); d > 1e-6*sum64 {
					t.Fatalf("n=%d: sum %v, want %v", n, sum, sum64)
				}

				// Scale32s.
				c := float32(r.Float64()*4 - 2)
				sc := make([]float32, n+1)
				copy(sc, src)
				sc[n] = sentinel
				Scale32s(sc[:n], c)
				for i, x := range src {
					if sc[i] != x*c {
						t.Fatalf("n=%d: Scale32s: %v·%v = %v", n, x, c, sc[i])
					}
				}
				if sc[n] != sentinel {
					t.Fatalf("n=%d: Scale32s wrote outside dst", n)
				}
			}
		}
	})
}

func TestExpShiftSum32(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewSource(4))
		for _, n := range []int{1, 7, 16, 100, 511, 512, 513, 1000, 1024, 1031, 4096, 100_003, 1 << 20, 1 << 22} {
			for _, scale := range []float64{0.1, 3, 30} {
				src := make([]float32, n)
				shift := float32(math.Inf(-1))
				for i := range src {
					src[i] = float32(r.NormFloat64() * scale)
					shift = max(shift, src[i])
				}
				dst := make([]float32, n)
				sum := ExpShiftSum32(dst, src, shift)
				var sumDst, sumExact float64
				for i, x := range src {
					if u := expErr(dst[i], x-shift); u > 1 {
						t.Fatalf("n=%d: e^(%v-%v) = %v, want %v", n, x, shift, dst[i], expRef(x-shift))
					}
					sumDst += float64(dst[i])
					sumExact += math.Exp(float64(x - shift))
				}
				relDst := math.Abs(float64(sum)-sumDst) / sumDst
				relExact := math.Abs(float64(sum)-sumExact) / sumExact
				if relDst > 1e-6 || relExact > 1e-6 {
					t.Errorf("n=%d scale=%v: sum %v, float64 sum of dst %v (rel %.2g), of exact exps %v (rel %.2g)",
						n, scale, sum, sumDst, relDst, sumExact, relExact)
				}
				if n == 1<<22 && scale == 3 {
					t.Logf("n=%d: relative error of the sum %.2g vs float64 sum of dst, %.2g vs exact", n, relDst, relExact)
				}
			}
		}
		// Special values propagate into the sum.
		inf, nan := float32(math.Inf(1)), float32(math.NaN())
		for _, c := range []struct {
			src   []float32
			shift float32
			want  float32
		}{
			{[]float32{0, float32(math.Inf(-1)), -200, 1}, 1, 1 + expRef(-1)},
			{make([]float32, 20), 0, 20},
			{[]float32{0, 1, 2, 3, 4, 5, 6, 7, 100, 9}, 0, inf},
			{[]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, nan}, 0, nan},
			{[]float32{0, 1, 2, 3, 4, 5, 6, nan, 8, 9}, 0, nan},
			{[]float32{0, 1}, inf, 0},
			{[]float32{0, 1}, nan, nan},
		} {
			dst := make([]float32, len(c.src))
			got := ExpShiftSum32(dst, c.src, c.shift)
			if !(got == c.want || got != got && c.want != c.want) {
				t.Errorf("ExpShiftSum32(%v, %v) = %v, want %v", c.src, c.shift, got, c.want)
			}
		}
	})
}

func TestShortDstPanics(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, f := range []func(){
			func() { Exp32s(make([]float32, 8), make([]float32, 9)) },
			func() { ExpShiftSum32(make([]float32, 3), make([]float32, 17), 0) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic for len(dst) < len(src)")
					}
				}()
				f()
			}()
		}
	})
}

func benchSizes() []int { return []int{1 << 16, 1 << 22} }

func benchInput(n int, lo, hi float64) []float32 {
	r := rand.New(rand.NewSource(5))
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return src
}

func benchImpls(b *testing.B, f func(b *testing.B, n int)) {
	for _, im := range impls() {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(b *testing.B) {
				defer func(old bool) { useAVX2 = old }(useAVX2)
				useAVX2 = im.avx2
				b.SetBytes(int64(8 * n))
				f(b, n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	}
}

func BenchmarkExp32s(b *testing.B) {
	benchImpls(b, func(b *testing.B, n int) {
		src := benchInput(n, -10, 10)
		dst := make([]float32, n)
		for b.Loop() {
			Exp32s(dst, src)
		}
	})
}

func BenchmarkExpShiftSum32(b *testing.B) {
	benchImpls(b, func(b *testing.B, n int) {
		src := benchInput(n, -20, 0)
		dst := make([]float32, n)
		for b.Loop() {
			ExpShiftSum32(dst, src, 0)
		}
	})
}

func BenchmarkScale32s(b *testing.B) {
	benchImpls(b, func(b *testing.B, n int) {
		dst := benchInput(n, 0, 1)
		for b.Loop() {
			Scale32s(dst, 1)
		}
	})
}

// BenchmarkExp32 is the scalar function in a loop, for reference.
func BenchmarkExp32(b *testing.B) {
	src := benchInput(1<<16, -10, 10)
	dst := make([]float32, len(src))
	b.SetBytes(int64(8 * len(src)))
	for b.Loop() {
		for i, x := range src {
			dst[i] = Exp32(x)
		}
	}
}

func BenchmarkMathExp(b *testing.B) {
	src := benchInput(1<<16, -10, 10)
	dst := make([]float32, len(src))
	b.SetBytes(int64(8 * len(src)))
	for b.Loop() {
		for k, x := range src {
			dst[k] = float32(math.Exp(float64(x)))
		}
	}
}

func TestMax32(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, avx := range []bool{false, hasAVX2} {
		old := useAVX2
		useAVX2 = avx
		for n := 0; n < 70; n++ {
			src := make([]float32, n)
			want := float32(math.Inf(-1))
			for k := range src {
				src[k] = float32(r.NormFloat64() * 100)
				want = max(want, src[k])
			}
			if got := Max32(src); got != want {
				t.Fatalf("avx2=%v n=%d: Max32 = %v, want %v", avx, n, got, want)
			}
		}
		useAVX2 = old
	}
}
