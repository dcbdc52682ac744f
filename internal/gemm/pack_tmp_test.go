package gemm

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestPackTmp(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	n := 1024
	x := make([]float32, n*n)
	d := aligned[float32](256 * 4096)
	for _, tr := range []bool{false, true} {
		best := time.Hour
		for range 20 {
			t0 := time.Now()
			for pc := 0; pc < n; pc += 256 {
				packB(tr, x, n, pc, 0, 256, n, 16, d, true)
			}
			best = min(best, time.Since(t0))
		}
		fmt.Printf("packB tB=%v %d: %v (%.2f ns/elem)\n", tr, n, best, float64(best.Nanoseconds())/float64(n*n))
		best = time.Hour
		for range 20 {
			t0 := time.Now()
			for pc := 0; pc < n; pc += 256 {
				for ic := 0; ic < n; ic += 144 {
					packA(tr, x, n, ic, pc, min(144, n-ic), 256, 6, d, true)
				}
			}
			best = min(best, time.Since(t0))
		}
		fmt.Printf("packA tA=%v %d: %v (%.2f ns/elem)\n", tr, n, best, float64(best.Nanoseconds())/float64(n*n))
	}
}
