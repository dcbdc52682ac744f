package cuda

import (
	"runtime"
	"sort"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/optimize"
)

// everyKernel is every distinct kernel the backend generates for the op
// suite's programs (each op, looped every way), the golden ones, and the
// run-time helpers (zero fill, clone).
func everyKernel(t *testing.T) map[kernelSrc]string {
	t.Helper()
	out := map[kernelSrc]string{}
	progs := optest.Programs()
	names := make([]string, 0, len(progs))
	for name := range progs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		outs := progs[name]
		g := outs[0].Graph()
		g.Lock()
		lowered, err := optimize.Run(outs, optimize.Options{})
		g.Unlock()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, err := newPlan(graph.Needed(lowered), lowered, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, s := range p.steps {
			for _, k := range s.srcs {
				out[k] = name
			}
		}
	}
	for name, src := range goldenKernels(t) {
		out[kernelSrc{src, kernelName(src)}] = "golden " + name
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Bool} {
		e := &Expr{Shape: []int{7}, Code: []Instr{{Kind: IConst, DType: dt}}}
		src, err := e.Source()
		if err != nil {
			t.Fatal(err)
		}
		out[kernelSrc{src, "ew"}] = "zeros"
		c := strideCopy{esize: elemBytes(dt), shape: []int{7}, ss: []int{1}, ds: []int{1}}
		src, _ = c.Source()
		out[kernelSrc{src, "copy"}] = "clone"
	}
	return out
}

// Every generated kernel compiles with NVRTC for Ampere and Hopper. This
// needs only libnvrtc, not a GPU.
func TestNVRTCCompilesEveryKernel(t *testing.T) {
	if err := loadNVRTC(); err != nil {
		t.Skipf("no NVRTC to compile with: %v", err)
	}
	ks := everyKernel(t)
	// NVRTC programs are independent: compile on every core.
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for k, from := range ks {
		for _, cc := range [][2]int{{8, 0}, {9, 0}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if _, err := compile(k.src, cc[0], cc[1]); err != nil {
					t.Errorf("%s (from %s) for sm_%d%d: %v", k.name, from, cc[0], cc[1], err)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d kernels compiled", len(ks))
}

// The op suite's programs generate a bounded set of kernels: one per
// dtype/rank/mode combination, not one per program.
func TestEveryKernelCount(t *testing.T) {
	ks := everyKernel(t)
	if len(ks) == 0 {
		t.Fatal("no kernels generated")
	}
	names := map[string]int{}
	for k := range ks {
		names[k.name]++
	}
	t.Logf("%d distinct kernels: %v", len(ks), names)
}
