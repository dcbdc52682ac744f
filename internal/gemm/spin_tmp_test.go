package gemm

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestSpinTmp(t *testing.T) {
	if os.Getenv("SPIN") == "" {
		t.Skip()
	}
	n := 1024
	x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	goRun := func(label string) {
		ForceGo(true)
		var s []string
		for range 5 {
			t0 := time.Now()
			Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
			s = append(s, fmt.Sprintf("%.0f", 2*float64(n*n*n)/time.Since(t0).Seconds()/1e9))
		}
		fmt.Println(label, s)
		ForceGo(false)
	}
	goRun("go fresh        ")
	blasThreads = true
	forceBLAS.Store(true)
	Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	goRun("go after blas   ")
	time.Sleep(500 * time.Millisecond)
	goRun("go after 500ms  ")
	Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	time.Sleep(50 * time.Millisecond)
	goRun("go after 50ms   ")
}
