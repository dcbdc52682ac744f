package vmath

import (
	"math"
	"math/rand"
	"testing"
)

// sumModel is the order reduce_amd64.s documents, in plain Go float32
// arithmetic (fma32 for Dot's fused steps); b nil means Sum.
func sumModel(a, b []float32) float32 {
	term := func(i int) float32 {
		if b == nil {
			return a[i]
		}
		return a[i] * b[i]
	}
	step := func(acc float32, i int) float32 {
		if b == nil {
			return acc + a[i]
		}
		return fma32(a[i], b[i], acc)
	}
	type vec [8]float32
	add := func(x, y vec) (z vec) {
		for l := range z {
			z[l] = x[l] + y[l]
		}
		return z
	}
	var stack []vec
	n, i, blocks := len(a), 0, 0
	for ; n-i >= 256; i += 256 {
		var acc [4]vec
		for j := 0; j < 8; j++ {
			for k := 0; k < 4; k++ {
				for l := 0; l < 8; l++ {
					e := i + 32*j + 8*k + l
					if j == 0 {
						acc[k][l] = term(e)
					} else {
						acc[k][l] = step(acc[k][l], e)
					}
				}
			}
		}
		v := add(add(acc[0], acc[1]), add(acc[2], acc[3]))
		blocks++
		for c := blocks; c&1 == 0; c >>= 1 {
			v = add(stack[len(stack)-1], v)
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, v)
	}
	var acc [4]vec
	vector := func(k int) {
		for l := 0; l < 8; l++ {
			acc[k][l] = step(acc[k][l], i+l)
		}
		i += 8
	}
	for n-i >= 32 {
		for k := range 4 {
			vector(k)
		}
	}
	for k := 0; k < 3 && n-i >= 8; k++ { // single vectors to accumulators 0-2
		vector(k)
	}
	for l := 0; i+l < n; l++ { // masked tail into accumulator 3
		acc[3][l] = step(acc[3][l], i+l)
	}
	v := add(add(acc[0], acc[1]), add(acc[2], acc[3]))
	for k := len(stack) - 1; k >= 0; k-- {
		v = add(stack[k], v)
	}
	h := [4]float32{v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7]}
	return (h[0] + h[2]) + (h[1] + h[3])
}

func reduceLengths() []int {
	l := []int{}
	for n := 0; n <= 70; n++ {
		l = append(l, n)
	}
	return append(l, 255, 256, 257, 263, 287, 288, 511, 512, 513, 767, 768, 1024, 1025, 1279, 2047, 2048,
		3*1024+100, 4096, 8191, 100_003, 1<<18+77, 1<<20)
}

// TestSumDotOrder: the AVX2 kernels add in exactly the documented order.
func TestSumDotOrder(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewSource(21))
	for _, n := range reduceLengths() {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i] = float32(r.NormFloat64() * math.Pow(2, float64(r.Intn(20))))
			b[i] = float32(r.NormFloat64())
		}
		if got, want := sum32AVX2(ptr(a), n), sumModel(a, nil); !same(got, want) {
			t.Fatalf("n=%d: Sum32 = %v, the documented order gives %v", n, got, want)
		}
		if got, want := dot32AVX2(ptr(a), ptr(b), n), sumModel(a, b); !same(got, want) {
			t.Fatalf("n=%d: Dot32 = %v, the documented order gives %v", n, got, want)
		}
	}
}

// TestSumDotAccuracy: both paths against the float64 sum, within the
// documented bound, for sums with and without cancellation.
func TestSumDotAccuracy(t *testing.T) {
	r := rand.New(rand.NewSource(22))
	forEachImpl(t, func(t *testing.T) {
		for _, n := range reduceLengths() {
			for _, mean := range []float64{0, 1} {
				a, b := make([]float32, n), make([]float32, n)
				var s, abs, d, dabs float64
				for i := range a {
					a[i] = float32(mean + r.NormFloat64())
					b[i] = float32(r.NormFloat64())
					s += float64(a[i])
					abs += math.Abs(float64(a[i]))
					p := float64(a[i]) * float64(b[i])
					d += p
					dabs += math.Abs(p)
				}
				bound := (14 + math.Log2(float64(n)/256+1)) * 0x1p-24
				if got := Sum32(a); math.Abs(float64(got)-s) > bound*abs+1e-30 {
					t.Fatalf("n=%d: Sum32 = %v, want %v (error %.3g·Σ|x|)", n, got, s, math.Abs(float64(got)-s)/abs)
				}
				if got := Dot32(a, b); math.Abs(float64(got)-d) > bound*dabs+1e-30 {
					t.Fatalf("n=%d: Dot32 = %v, want %v (error %.3g·Σ|ab|)", n, got, d, math.Abs(float64(got)-d)/dabs)
				}
			}
		}
		// 2^24 ones: a sequential float32 sum stops at 2^24; pairwise is exact.
		ones := make([]float32, 1<<24+1000)
		for i := range ones {
			ones[i] = 1
		}
		if got := Sum32(ones); got != float32(len(ones)) {
			t.Errorf("Sum32(%d ones) = %v", len(ones), got)
		}
		inf, nan := float32(math.Inf(1)), float32(math.NaN())
		for _, c := range []struct {
			x         []float32
			sum, dotx float32 // Sum32(x), Dot32(x, x)
		}{
			{nil, 0, 0}, {[]float32{inf, 1, 2}, inf, inf}, {[]float32{inf, -inf}, nan, inf}, {[]float32{1, nan, 1}, nan, nan},
			{append(make([]float32, 300), nan), nan, nan}, {append(make([]float32, 700), -inf), -inf, inf},
		} {
			if got := Sum32(c.x); !same(got, c.sum) {
				t.Errorf("Sum32(%d values) = %v, want %v", len(c.x), got, c.sum)
			}
			if got := Dot32(c.x, c.x); !same(got, c.dotx) {
				t.Errorf("Dot32(x, x) (%d values) = %v, want %v", len(c.x), got, c.dotx)
			}
		}
	})
}
