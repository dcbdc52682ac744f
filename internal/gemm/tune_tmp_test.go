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
	fmt.Sscan(os.Getenv("N"), &n)
	x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range x {
		x[i], y[i] = float32(i%7)-3, float32(i%5)-2
	}
	type mk struct{ mc, kc int }
	var cfgs []mk
	for _, mc := range []int{72, 96, 144, 192, 288} {
		for _, kc := range []int{192, 256, 384, 512} {
			cfgs = append(cfgs, mk{mc, kc})
		}
	}
	res := map[mk][]float64{}
	reps := max(1, int(3e8/float64(n*n*n)))
	for range 7 {
		for _, c := range cfgs {
			cf := &config[float32]{mr: 6, nr: 16, mc: c.mc, kc: c.kc, nc: 4080, kern: sgemmKernAVX2, asmPack: true}
			cf.gemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
			t0 := time.Now()
			for range reps {
				cf.gemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
			}
			res[c] = append(res[c], 2*float64(n*n*n)*float64(reps)/time.Since(t0).Seconds()/1e9)
		}
	}
	for _, c := range cfgs {
		v := res[c]
		sort.Float64s(v)
		fmt.Printf("n=%d mc=%d kc=%d  median %.1f max %.1f\n", n, c.mc, c.kc, v[len(v)/2], v[len(v)-1])
	}
}
