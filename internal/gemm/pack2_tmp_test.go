package gemm

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestPack2Tmp(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	const nb, S = 64, 512
	x := make([]float32, nb*S*S)
	for i := range x {
		x[i] = 1
	}
	d := aligned[float32](512 * 512)
	for _, kc := range []int{256, 512} {
		for _, cold := range []bool{false, true} {
			best := time.Hour
			for range 5 {
				t0 := time.Now()
				for b := range nb {
					off := b * S * S
					if !cold {
						off = 0
					}
					for pc := 0; pc < S; pc += kc {
						for ic := 0; ic < S; ic += 144 {
							packA(false, x[off:], S, ic, pc, min(144, S-ic), kc, 6, d, true)
						}
					}
				}
				best = min(best, time.Since(t0))
			}
			fmt.Printf("kc=%d cold=%v: %.3f ns/elem\n", kc, cold, float64(best.Nanoseconds())/float64(nb*S*S))
		}
	}
}
