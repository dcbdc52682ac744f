package vmath

import (
	"math"
	"math/rand"
	"testing"
)

func ulps(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

func TestExp32Accuracy(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	worst := int64(0)
	for i := 0; i < 2_000_000; i++ {
		x := float32(r.Float64()*200 - 100)
		if i%4 == 0 {
			x = float32(r.Float64()*2 - 1)
		}
		want := float32(math.Exp(float64(x)))
		got := Exp32(x)
		if u := ulps(got, want); u > worst {
			worst = u
			if u > 2 {
				t.Fatalf("Exp32(%v) = %v, want %v (%d ulp)", x, got, want, u)
			}
		}
	}
	t.Logf("worst error %d ulp", worst)
	for _, x := range []float32{0, -0, 1, -1, 88.7, -87.3, -100, -104, 89, float32(math.Inf(1)), float32(math.Inf(-1))} {
		if got, want := Exp32(x), float32(math.Exp(float64(x))); ulps(got, want) > 2 {
			t.Errorf("Exp32(%v) = %v, want %v", x, got, want)
		}
	}
	if !math.IsNaN(float64(Exp32(float32(math.NaN())))) {
		t.Error("Exp32(NaN) is not NaN")
	}
}

func BenchmarkExp32(b *testing.B) {
	src := make([]float32, 1<<16)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(8 * len(src)))
	for i := 0; i < b.N; i++ {
		Exp32s(dst, src)
	}
}

func BenchmarkMathExp(b *testing.B) {
	src := make([]float32, 1<<16)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(8 * len(src)))
	for i := 0; i < b.N; i++ {
		for k, x := range src {
			dst[k] = float32(math.Exp(float64(x)))
		}
	}
}
