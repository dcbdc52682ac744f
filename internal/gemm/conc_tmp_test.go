package gemm

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestConcTmp(t *testing.T) {
	if os.Getenv("CONC") == "" {
		t.Skip()
	}
	n := 512
	x, y := make([]float32, n*n), make([]float32, n*n)
	z1, z2 := make([]float32, n*n), make([]float32, n*n)
	cf := s32Asm
	half := func(z []float32) {
		w := getWork(cf, n/2, n, n)
		cf.run(w, false, false, n/2, n, n, 1, x, n, y, n, 0, z, n)
		putWork(w)
	}
	med := func(f func()) time.Duration {
		var d []time.Duration
		for range 101 {
			t0 := time.Now()
			f()
			d = append(d, time.Since(t0))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[50]
	}
	fmt.Println("one half alone      ", med(func() { half(z1) }))
	fmt.Println("two halves, 2 gorout", med(func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { half(z2); wg.Done() }()
		half(z1)
		wg.Wait()
	}))
	fmt.Println("Sgemm 512 (pool)    ", med(func() { cf.gemm(false, false, n, n, n, 1, x, n, y, n, 0, z1, n) }))
	fmt.Println("full alone          ", med(func() {
		w := getWork(cf, n, n, n)
		cf.run(w, false, false, n, n, n, 1, x, n, y, n, 0, z1, n)
		putWork(w)
	}))
}
