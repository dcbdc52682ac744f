package gemm

import "testing"

// BenchmarkDKN is the essay's D[k,n] contraction as the optimizer plans it:
// a batch of 64 matrix·vector products (A3[k]·C[k], 128×128) and then one
// 64×128 · 128×64 GEMM.
func BenchmarkDKN(b *testing.B) {
	const K, L, M, N = 64, 128, 128, 64
	a3, c := make([]float32, K*L*M), make([]float32, K*M)
	bm, t, d := make([]float32, L*N), make([]float32, K*L), make([]float32, K*N)
	for i := range a3 {
		a3[i] = float32(i%7) - 3
	}
	for i := range c {
		c[i] = float32(i%5) - 2
	}
	for i := range bm {
		bm[i] = float32(i%3) - 1
	}
	b.Run("matvec", func(b *testing.B) {
		for range b.N {
			SgemmBatch(false, false, L, 1, M, 1, a3, M, L*M, c, 1, M, 0, t, 1, L, K)
		}
		gflops(b, 2*K*L*M)
	})
	b.Run("gemm", func(b *testing.B) {
		for range b.N {
			SgemmBatch(false, false, K, N, L, 1, t, L, 0, bm, N, 0, 0, d, N, 0, 1)
		}
		gflops(b, 2*K*L*N)
	})
}
