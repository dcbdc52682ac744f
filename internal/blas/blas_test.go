package blas

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

func TestOpenMissingDoesNotCrash(t *testing.T) {
	lib, why := open([]string{"/nonexistent/libopenblas.so.0", "libdefinitely-not-here.so.7"})
	if lib != "" || why == "" {
		t.Fatalf("open of missing libraries = %q, %q; want \"\", a reason", lib, why)
	}
	t.Log(why)
}

func TestReasonConsistent(t *testing.T) {
	if Available() {
		if Reason() != "" || Library() == "" {
			t.Fatalf("available but Reason=%q Library=%q", Reason(), Library())
		}
		t.Logf("loaded %s, %d threads, core %q", Library(), NumThreads(), CoreName())
		return
	}
	if Reason() == "" {
		t.Fatal("unavailable without a reason")
	}
	t.Logf("unavailable: %s", Reason())
}

// The choice is made once per process, so LOOM_BLAS=go is checked in a child.
func TestEnvDisables(t *testing.T) {
	if os.Getenv("LOOM_BLAS_CHILD") == "1" {
		if Available() || !strings.Contains(Reason(), "LOOM_BLAS=go") {
			t.Fatalf("LOOM_BLAS=go: Available=%v Reason=%q", Available(), Reason())
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvDisables$")
	cmd.Env = append(os.Environ(), "LOOM_BLAS_CHILD=1", "LOOM_BLAS=go")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestGemmBoth(t *testing.T) {
	if !Available() {
		t.Skip(Reason())
	}
	// 2×3 · 3×2 with A transposed in storage (3×2) and padded leading dims.
	m, n, k := 2, 2, 3
	at := []float64{1, 4, 0, 2, 5, 0, 3, 6, 0} // A^T, lda=3
	b := []float64{7, 8, 0, 9, 10, 0, 11, 12, 0}
	c := []float64{1, 1, 9, 1, 1, 9}
	Dgemm(true, false, m, n, k, 2, at, 3, b, 3, 0.5, c, 3)
	want := []float64{2*58 + .5, 2*64 + .5, 9, 2*139 + .5, 2*154 + .5, 9}
	for i := range c {
		if math.Abs(c[i]-want[i]) > 1e-12 {
			t.Fatalf("dgemm c=%v want %v", c, want)
		}
	}
	a32 := []float32{1, 2, 3, 4, 5, 6}
	bt32 := []float32{7, 9, 11, 8, 10, 12} // B^T, ldb=3
	c32 := []float32{float32(math.NaN()), 0, 0, 0}
	Sgemm(false, true, m, n, k, 1, a32, 3, bt32, 3, 0, c32, 2)
	w32 := []float32{58, 64, 139, 154}
	for i := range c32 {
		if c32[i] != w32[i] {
			t.Fatalf("sgemm c=%v want %v", c32, w32)
		}
	}
}

func TestSingleThreadedRestores(t *testing.T) {
	if !Available() || NumThreads() == 0 {
		t.Skip("no OpenBLAS thread control: ", Reason())
	}
	before := NumThreads()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			SingleThreaded(func() {
				SingleThreaded(func() {
					if n := NumThreads(); n != 1 {
						t.Errorf("inside: %d threads", n)
					}
				})
			})
		}()
	}
	wg.Wait()
	if after := NumThreads(); after != before {
		t.Fatalf("threads %d before, %d after", before, after)
	}
}
