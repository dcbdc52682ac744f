package gemm

import (
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

func TestTuneTmp(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	n := 1024
	var mcs, kcs []int
	fmt.Sscan(os.Getenv("N"), &n)
	x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range x {
		x[i], y[i] = float32(i%7)-3, float32(i%5)-2
	}
	mcs = []int{72, 96, 144, 192, 240, 288}
	kcs = []int{128, 192, 256, 320, 384, 512}
	if os.Getenv("TUNE") == "k" {
		mcs = []int{144}
	}
	for _, mc := range mcs {
		for _, kc := range kcs {
			cf := &config[float32]{mr: 6, nr: 16, mc: mc, kc: kc, nc: 4080, kern: sgemmKernAVX2}
			var gs []float64
			for range 7 {
				w := getWork(cf, n, n, n)
				t0 := time.Now()
				cf.run(w, false, false, n, n, n, 1, x, n, y, n, 0, z, n)
				gs = append(gs, 2*float64(n*n*n)/time.Since(t0).Seconds()/1e9)
				putWork(w)
			}
			sort.Float64s(gs)
			fmt.Printf("mc=%d kc=%d  median %.1f max %.1f\n", mc, kc, gs[3], gs[6])
		}
	}
}
