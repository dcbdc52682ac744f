package cuda

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

func TestLiterals(t *testing.T) {
	for _, c := range []struct {
		v    float64
		dt   tensor.Dtype
		want string
	}{
		{2, tensor.Float32, "2.0f"},
		{0.1, tensor.Float32, "0.1f"},
		{-2.5, tensor.Float64, "(-2.5)"},
		{1e300, tensor.Float64, "1e+300"},
		{math.Inf(-1), tensor.Float32, "__int_as_float(0xff800000)"},
		{math.NaN(), tensor.Float64, "__longlong_as_double(0x7ff8000000000000ll)"},
		{math.MinInt64, tensor.Int64, "((i64)0x8000000000000000ull)"},
		{-3, tensor.Int64, "((i64)-3ll)"},
		{1, tensor.Bool, "(u8)1"},
	} {
		if got := lit(c.v, c.dt); got != c.want {
			t.Errorf("lit(%v, %v) = %s, want %s", c.v, c.dt, got, c.want)
		}
	}
}

func TestSizeClass(t *testing.T) {
	prev := int64(0)
	for _, n := range []int64{1, 256, 257, 1000, 4096, 4097, 1 << 20, 1<<20 + 1, 3 << 28} {
		c := sizeClass(n)
		if c < n || float64(c) > math.Max(256, 1.125*float64(n)) || c < prev {
			t.Errorf("sizeClass(%d) = %d", n, c)
		}
		prev = c
	}
}

func TestRowMajorGemmSwapsOperands(t *testing.T) {
	// C[2,3] = A[2,4]·B[4,3]: cuBLAS computes Cᵀ[3,2] = Bᵀ·Aᵀ.
	g := rowMajorGemm(false, false, false, 2, 3, 4, 1, 10, 20, 30, 1)
	want := gemmCall{m: 3, n: 2, k: 4, alpha: 1, a: 20, lda: 3, b: 10, ldb: 4, c: 30, ldc: 3, batch: 1}
	if g != want {
		t.Errorf("got %+v, want %+v", g, want)
	}
	g = rowMajorGemm(true, true, false, 2, 3, 4, 0.5, 10, 20, 30, 7)
	if !g.transB || g.transA || g.ldb != 2 || g.lda != 3 || !g.f64 || g.batch != 7 {
		t.Errorf("transposed A: %+v", g)
	}
}

func TestPlanReduceMergesDims(t *testing.T) {
	r := planReduce(nodes.RedSum, plainInput(tensor.Float32, []int{2, 3, 1, 4, 5}), []int{3, 4})
	if r.nout != 6 || r.nred != 20 || len(r.kept) != 1 || len(r.red) != 1 {
		t.Errorf("merged: %+v", r)
	}
	r = planReduce(nodes.RedMax, plainInput(tensor.Float64, []int{4, 5, 6}), []int{0, 2})
	if r.rows || len(r.kept) != 1 || len(r.red) != 2 || r.red[0].stride != 30 || r.red[1].stride != 1 {
		t.Errorf("outer and inner reduced: %+v", r)
	}
}

func TestCopyMerge(t *testing.T) {
	c := strideCopy{shape: []int{4, 2, 16, 8}, ss: []int{8, 512, 32, 1}, ds: []int{256, 128, 8, 1}}.merged()
	// Dims 1 and 2 walk both sides as one; dims 2 and 3 do not (the
	// source's are 32 and 1 apart).
	if !slices.Equal(c.shape, []int{4, 32, 8}) || !slices.Equal(c.ss, []int{8, 32, 1}) || !slices.Equal(c.ds, []int{256, 8, 1}) {
		t.Errorf("got %+v", c)
	}
	c = strideCopy{shape: []int{1, 1}, ss: []int{1, 1}, ds: []int{1, 1}}.merged()
	if !slices.Equal(c.shape, []int{1}) {
		t.Errorf("scalar copy %+v", c)
	}
}

func TestOperandModes(t *testing.T) {
	e := &Expr{Shape: []int{3, 1, 4}, In: []Operand{
		{tensor.Float32, []int{4, 0, 1}}, // full (the size-1 dim's stride is unused)
		{tensor.Float32, []int{0, 0, 0}},
		{tensor.Float32, []int{0, 0, 1}},
		{tensor.Float32, []int{1, 0, 3}},
	}}
	for k, want := range []access{full, scalar, repeat, strided} {
		if got := e.mode(k); got != want {
			t.Errorf("operand %d: mode %d, want %d", k, got, want)
		}
	}
	if _, err := operandStrides([]int{3, 4}, 5, 12); err == nil {
		t.Error("5 elements placed into [3 4]")
	}
}

func TestStatusNames(t *testing.T) {
	err := cuErr("cuMemAlloc_v2", 201)
	var ce *Error
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_INVALID_CONTEXT" || !strings.Contains(err.Error(), "owner thread") {
		t.Errorf("201: %v", err)
	}
	if s := cublasErr("cublasSgemm_v2", 13).Error(); !strings.Contains(s, "CUBLAS_STATUS_EXECUTION_FAILED") {
		t.Errorf("cuBLAS 13: %s", s)
	}
	if s := nvrtcErr("nvrtcCompileProgram", 6).Error(); !strings.Contains(s, "NVRTC_ERROR_COMPILATION") {
		t.Errorf("NVRTC 6: %s", s)
	}
	if s := cuErr("cuInit", 12345).Error(); !strings.Contains(s, "12345") {
		t.Errorf("unknown code: %s", s)
	}
	if cuErr("x", 0) != nil || cublasErr("x", 0) != nil || nvrtcErr("x", 0) != nil {
		t.Error("success is an error")
	}
	if o := compileOptions(9, 0, true); o[0] != "--gpu-architecture=sm_90" {
		t.Errorf("options %v", o)
	}
	if o := compileOptions(8, 6, false); o[0] != "--gpu-architecture=compute_86" {
		t.Errorf("options %v", o)
	}
}

// Ops without a device kernel fail the plan with ErrNoKernel, naming the
// op and its site, unless the host fallback is asked for.
func TestNoKernelIsAnError(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Int64, 3, 3)
	y := nodes.Abs(nodes.MatMul(a, a)) // cuBLAS has no int64 GEMM
	order := graph.Needed([]*graph.Node{y})
	_, err := newPlan(order, []*graph.Node{y}, false)
	if !errors.Is(err, ErrNoKernel) || !strings.Contains(err.Error(), "op MatMul") || !strings.Contains(err.Error(), "unit_test.go") {
		t.Fatalf("got %v", err)
	}
	p, err := newPlan(order, []*graph.Node{y}, true)
	if err != nil || len(p.hostOps) != 1 {
		t.Fatalf("host fallback: %v, %v", p, err)
	}
}

// The benchmark's attention (B=8, S=1024, D=1024, H=16) plans entirely on
// the device: no host steps, the softmax fused with its scale.
func TestAttentionPlansOnDevice(t *testing.T) {
	const B, S, D, H = 8, 1024, 1024, 16
	g := graph.New()
	xs := g.Input("x", tensor.Float32, B, S, D)
	w := func(name string, d ...int) *graph.Node { return g.Input(name, tensor.Float32, d...) }
	y := mha.Batched(xs, w("wq", H, D, D/H), w("wk", H, D, D/H), w("wv", H, D, D/H), w("wo", H, D/H, D/H))
	outs := optimized(t, y)
	p, err := newPlan(graph.Needed(outs), outs, false)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, s := range p.steps {
		ops = append(ops, s.n.Op().Name())
	}
	t.Logf("steps: %s", strings.Join(ops, ", "))
	if !slices.Contains(ops, "FusedMatMul") && !slices.Contains(ops, "Fused") && !slices.Contains(ops, "Softmax") {
		t.Errorf("no softmax step among %v", ops)
	}
	if len(p.hostOps) != 0 {
		t.Errorf("host steps %v", p.hostOps)
	}
}
