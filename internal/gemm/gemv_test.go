package gemm

import (
	"math/rand/v2"
	"testing"
)

// TestGemv covers the matrix·vector path (m or n is 1) in all four operand
// layouts: k with and without a vector tail, outputs crossing the 256-output
// chunk and the 4-row and 32-column kernel blocks, batches run inline, split
// across workers, and one large product split by outputs; padded leading
// dimensions make the vector strided where the layout allows.
func TestGemv(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, sh := range [][4]int{
			{1, 1, 1, 1}, {1, 37, 5, 1}, {29, 1, 19, 3}, {1, 8, 16, 2},
			{300, 1, 129, 2},  // chunk boundary, k tail
			{1, 300, 133, 5},  // 32- and 8-column blocks, scalar tail
			{128, 1, 128, 64}, // D[k,n]'s first contraction: batch split
			{1, 4100, 70, 1},  // one product split by outputs
			{2500, 1, 130, 1}, // the same for rows
			{1, 7, 4000, 1},   // long k
		} {
			for tr := range 4 {
				for _, s := range [][2]float64{{1, 0}, {-0.5, 1.5}} {
					p := newProblem(r, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], sh[3], s[0], s[1])
					p.nanC = s[1] == 0
					checkProblem(t, r, p, 1e-6, sgemmBatchP)
					checkProblem(t, r, p, 1e-14, dgemmBatchP)
				}
			}
		}
	})
}

// Splitting a product across workers must not change its bits.
func TestGemvDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const m, k = 3000, 301
	a, x := fill[float32](r, m*k), fill[float32](r, k)
	want := make([]float32, m)
	Sgemm(false, false, m, 1, k, 1, a, k, x, 1, 0, want, 1)
	for range 20 {
		got := make([]float32, m)
		Sgemm(false, false, m, 1, k, 1, a, k, x, 1, 0, got, 1)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("y[%d] = %g, then %g", i, want[i], got[i])
			}
		}
	}
}
