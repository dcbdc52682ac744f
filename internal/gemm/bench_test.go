package gemm

import (
	"fmt"
	"testing"
	"time"

	"github.com/loomtensor/loom/internal/blas"
)

// benchPaths runs fn under each backend: "go" (OpenBLAS bypassed, the best
// kernels this CPU has), "go-avx2" (when that is not already "go"), and
// "openblas" (skipped without it; used for every size, whatever preferBLAS
// would choose).
func benchPaths(b *testing.B, fn func(b *testing.B)) {
	b.Run("go", func(b *testing.B) {
		defer ForceGo(ForceGo(true))
		fn(b)
	})
	if hwLevel > levelAVX2 {
		b.Run("go-avx2", func(b *testing.B) {
			defer ForceGo(ForceGo(true))
			defer maxLevel.Store(maxLevel.Swap(levelAVX2))
			fn(b)
		})
	}
	b.Run("openblas", func(b *testing.B) {
		if !blas.Available() {
			b.Skip(blas.Reason())
		}
		defer ForceGo(ForceGo(false))
		defer forceBLAS.Store(forceBLAS.Swap(true))
		fn(b)
	})
}

func gflops(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		for _, n := range []int{512, 1024, 2048} {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
				for i := range x {
					x[i], y[i] = float32(i%7)-3, float32(i%5)-2
				}
				Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) // warm buffers, threads
				b.ResetTimer()
				for range b.N {
					Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
				}
				gflops(b, 2*float64(n)*float64(n)*float64(n))
			})
		}
	})
}

func BenchmarkDgemm(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		const n = 1024
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x, y, z := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
			for i := range x {
				x[i], y[i] = float64(i%7)-3, float64(i%5)-2
			}
			Dgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
			b.ResetTimer()
			for range b.N {
				Dgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
			}
			gflops(b, 2*float64(n)*float64(n)*float64(n))
		})
	})
}

// BenchmarkAttention is multi-head attention's two batched products for 8
// sequences × 8 heads, S=512, dk=64, each head's Q, K, V contiguous:
// qk is Q·Kᵀ (512×512×64, B transposed), wv is softmax(QKᵀ)·V (512×64×512).
// "openblas" is loom's way of running OpenBLAS (one thread per pool worker);
// "openblas-threads" calls it per batch element with its own threads, the
// alternative that was measured and rejected (batch.go).
func BenchmarkAttention(b *testing.B) {
	const batch, S, dk = 64, 512, 64
	q, k := make([]float32, batch*S*dk), make([]float32, batch*S*dk)
	w, out := make([]float32, batch*S*S), make([]float32, batch*S*dk)
	for i := range q {
		q[i], k[i] = float32(i%7)*0.1, float32(i%5)*0.1
	}
	run := func(b *testing.B) {
		b.Run("qk", func(b *testing.B) {
			for range b.N {
				SgemmBatch(false, true, S, S, dk, 1, q, dk, S*dk, k, dk, S*dk, 0, w, S, S*S, batch)
			}
			gflops(b, 2*batch*S*S*dk)
		})
		b.Run("wv", func(b *testing.B) {
			for range b.N {
				SgemmBatch(false, false, S, dk, S, 1, w, S, S*S, k, dk, S*dk, 0, out, dk, S*dk, batch)
			}
			gflops(b, 2*batch*S*S*dk)
		})
	}
	b.Run("go", func(b *testing.B) {
		defer ForceGo(ForceGo(true))
		run(b)
	})
	if hwLevel > levelAVX2 {
		b.Run("go-avx2", func(b *testing.B) {
			defer ForceGo(ForceGo(true))
			defer maxLevel.Store(maxLevel.Swap(levelAVX2))
			run(b)
		})
	}
	for _, mode := range []struct {
		name    string
		threads bool
	}{{"openblas", false}, {"openblas-threads", true}} {
		b.Run(mode.name, func(b *testing.B) {
			if !blas.Available() {
				b.Skip(blas.Reason())
			}
			defer ForceGo(ForceGo(false))
			defer forceBLAS.Store(forceBLAS.Swap(true))
			defer func(t bool) { blasThreads = t }(blasThreads)
			blasThreads = mode.threads
			run(b)
			if mode.threads {
				// Let OpenBLAS's spinning threads park before the next benchmark.
				time.Sleep(300 * time.Millisecond)
			}
		})
	}
}
