package cuda_test

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/internal/dense"
)

// benchLMSize is a transformer worth timing: 2048 tokens a step through
// two 512-wide blocks of 8 heads, 6.8 M parameters.
var benchLMSize = lmSize{Batch: 8, Seq: 256, Dim: 512, Heads: 8, Blocks: 2, Vocab: 1024}

// BenchmarkTransformerTrainStep times one training step — loss, gradients
// and the Adam update, one Call — on device-resident weights, optimiser
// state and batch: what a training loop costs per step besides reading its
// loss back.
func BenchmarkTransformerTrainStep(b *testing.B) {
	needGPU(b)
	benchLM(b, benchLMSize, "cuda", exec.OnCUDA)
}

// benchSteps keeps each size's compiled step, weights and state for the
// next time the benchmark function is called: the testing package calls it
// once per b.N tried and per -count, and compiling the step takes seconds.
var benchSteps = map[string]*lmStep{}

// benchLM is the benchmark's body, for any backend.
func benchLM(b *testing.B, sz lmSize, backend string, opt func() exec.Option) {
	key := fmt.Sprintf("%s %+v", backend, sz)
	st := benchSteps[key]
	if st == nil {
		st = newLMStep(b, sz, 1e-4, opt())
		st.batch(b, 0)
		st.call(b) // the first Call loads kernels and fills the memory pool
		benchSteps[key] = st
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.call(b)
		if i%32 == 31 {
			// The replaced weights and state go back to the device's pool
			// through finalizers, so collect now and then outside the timing
			// instead of letting device memory grow with b.N.
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
		}
	}
	b.StopTimer()
	l, err := st.call(b).Dense()
	if err != nil {
		b.Fatal(err)
	}
	if v := dense.F64(l)[0]; math.IsNaN(v) || math.IsInf(v, 0) {
		b.Fatalf("loss %v after %d steps", v, b.N+2)
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per*1e3, "ms/step")
	b.ReportMetric(float64(sz.Batch*sz.Seq)/per, "tokens/s")
}

// The benchmark's body at a tiny size on the CPU, so it runs in every
// test run, not only where a GPU is found.
func TestTransformerTrainBenchBodyCPU(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) {
		benchLM(b, lmSize{Batch: 2, Seq: 8, Dim: 16, Heads: 2, Blocks: 1, Vocab: 16}, "cpu", exec.OnCPU)
	})
	if r.N == 0 || r.Extra["ms/step"] <= 0 || r.Extra["tokens/s"] <= 0 {
		t.Fatalf("the benchmark body reported nothing: %+v", r)
	}
	t.Logf("tiny step on the CPU: %.3g ms, %.3g tokens/s (N = %d)", r.Extra["ms/step"], r.Extra["tokens/s"], r.N)
}
