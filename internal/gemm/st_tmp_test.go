package gemm

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/loomtensor/loom/internal/blas"
)

func TestSTTmp(t *testing.T) {
	if os.Getenv("ST") == "" {
		t.Skip()
	}
	blas.Available()
	t0 := time.Now()
	for range 10000 {
		blas.SingleThreaded(func() {})
	}
	fmt.Println("SingleThreaded pair:", time.Since(t0)/10000)
	x := make([]float32, 64)
	t0 = time.Now()
	for range 10000 {
		blas.Sgemm(false, false, 4, 4, 4, 1, x, 4, x, 4, 0, x[32:], 4)
	}
	fmt.Println("tiny sgemm call:", time.Since(t0)/10000)
}
