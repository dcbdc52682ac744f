package gemm

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

type shapeT struct {
	name           string
	tA, tB         bool
	m, n, k, batch int
	lda, ldb, ldc  int
	sA, sB, sC     int
}

func TestPairTmp(t *testing.T) {
	if os.Getenv("PAIR") == "" {
		t.Skip()
	}
	shapes := []shapeT{
		{"qk", false, true, 512, 512, 64, 64, 64, 64, 512, 512 * 64, 512 * 64, 512 * 512},
		{"wv", false, false, 512, 64, 512, 64, 512, 64, 64, 512 * 512, 512 * 64, 512 * 64},
		{"n512", false, false, 512, 512, 512, 1, 512, 512, 512, 0, 0, 0},
		{"n1024", false, false, 1024, 1024, 1024, 1, 1024, 1024, 1024, 0, 0, 0},
		{"n2048", false, false, 2048, 2048, 2048, 1, 2048, 2048, 2048, 0, 0, 0},
		{"n64", false, false, 64, 64, 64, 1, 64, 64, 64, 0, 0, 0},
		{"n128", false, false, 128, 128, 128, 1, 128, 128, 128, 0, 0, 0},
		{"n256", false, false, 256, 256, 256, 1, 256, 256, 256, 0, 0, 0},
		{"b16x128", false, false, 128, 128, 128, 16, 128, 128, 128, 128 * 128, 128 * 128, 128 * 128},
		{"n384", false, false, 384, 384, 384, 1, 384, 384, 384, 0, 0, 0},
		{"n448", false, false, 448, 448, 448, 1, 448, 448, 448, 0, 0, 0},
		{"qk128", false, true, 512, 512, 128, 64, 128, 128, 512, 512 * 128, 512 * 128, 512 * 512},
		{"wv128", false, false, 512, 128, 512, 64, 512, 128, 128, 512 * 512, 512 * 128, 512 * 128},
		{"qk256s", false, true, 256, 256, 64, 64, 64, 64, 256, 256 * 64, 256 * 64, 256 * 256},
		{"k64big", false, false, 2048, 2048, 64, 1, 64, 2048, 2048, 0, 0, 0},
		{"b2x1024", false, false, 1024, 1024, 1024, 2, 1024, 1024, 1024, 1 << 20, 1 << 20, 1 << 20},
	}
	modes := []string{"go", "blas", "blas-thr"}
	rounds := 9
	for _, sh := range shapes {
		if f := os.Getenv("ONLY"); f != "" && !strings.Contains(","+f+",", ","+sh.name+",") {
			continue
		}
		ar := sh.m
		if sh.tA {
			ar = sh.k
		}
		br := sh.k
		if sh.tB {
			br = sh.n
		}
		a := make([]float32, (sh.batch-1)*sh.sA+ar*sh.lda)
		b := make([]float32, (sh.batch-1)*sh.sB+br*sh.ldb)
		c := make([]float32, (sh.batch-1)*sh.sC+sh.m*sh.ldc)
		for i := range a {
			a[i] = float32(i%7) * 0.1
		}
		for i := range b {
			b[i] = float32(i%5) * 0.1
		}
		flops := 2 * float64(sh.m*sh.n*sh.k*sh.batch)
		reps := max(1, int(2e9/flops/4))
		res := map[string][]float64{}
		for range rounds {
			for _, md := range modes {
				ForceGo(md == "go")
				forceBLAS.Store(md != "go")
				blasThreads = md == "blas-thr"
				SgemmBatch(sh.tA, sh.tB, sh.m, sh.n, sh.k, 1, a, sh.lda, sh.sA, b, sh.ldb, sh.sB, 0, c, sh.ldc, sh.sC, sh.batch)
				t0 := time.Now()
				for range reps {
					SgemmBatch(sh.tA, sh.tB, sh.m, sh.n, sh.k, 1, a, sh.lda, sh.sA, b, sh.ldb, sh.sB, 0, c, sh.ldc, sh.sC, sh.batch)
				}
				res[md] = append(res[md], flops*float64(reps)/time.Since(t0).Seconds()/1e9)
			}
		}
		ForceGo(false)
		forceBLAS.Store(false)
		blasThreads = false
		line := fmt.Sprintf("%-8s", sh.name)
		for _, md := range modes {
			v := res[md]
			var ratio []float64
			for i := range v {
				ratio = append(ratio, v[i]/res["go"][i])
			}
			sort.Float64s(ratio)
			s := append([]float64(nil), v...)
			sort.Float64s(s)
			line += fmt.Sprintf("  %s med %6.1f max %6.1f (x%.2f)", md, s[len(s)/2], s[len(s)-1], ratio[len(ratio)/2])
		}
		fmt.Println(line)
	}
}
