package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func benchSolve[T Float](b *testing.B, n, k, batch int) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := conv[T](randMats(rng, "general", n, batch))
	rhs := conv[T](randVec(rng, batch*n*k))
	x := make([]T, batch*n*k)
	b.SetBytes(int64(batch * (n*n + 2*n*k) * sizeOf[T]()))
	b.ResetTimer()
	for b.Loop() {
		if err := Solve(a, rhs, x, n, k, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "systems/s")
}

func sizeOf[T Float]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

func BenchmarkSolve(b *testing.B) {
	for _, c := range []struct{ n, batch int }{{5, 100000}, {8, 10000}, {32, 10000}} {
		b.Run(fmt.Sprintf("n=%d/batch=%d/float64", c.n, c.batch), func(b *testing.B) { benchSolve[float64](b, c.n, 1, c.batch) })
		b.Run(fmt.Sprintf("n=%d/batch=%d/float32", c.n, c.batch), func(b *testing.B) { benchSolve[float32](b, c.n, 1, c.batch) })
	}
	b.Run("n=5/k=3/batch=100000/float64", func(b *testing.B) { benchSolve[float64](b, 5, 3, 100000) })
}

func BenchmarkInv(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	a := randMats(rng, "general", 5, 100000)
	out := make([]float64, len(a))
	b.Run("n=5/batch=100000/float64", func(b *testing.B) {
		for b.Loop() {
			if err := Inv(a, out, 5, 100000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCholesky(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	a := spd(rng, 5, 100000, 0)
	out := make([]float64, len(a))
	b.Run("n=5/batch=100000/float64", func(b *testing.B) {
		for b.Loop() {
			if err := Cholesky(a, out, 5, 100000); err != nil {
				b.Fatal(err)
			}
		}
	})
}
