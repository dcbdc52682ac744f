package cuda

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

var update = flag.Bool("update", false, "rewrite the golden kernel sources in testdata")

// goldenKernels are generated sources checked against testdata/*.cu: a
// change to the code generator shows up as a reviewable diff.
func goldenKernels(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(name string, src string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = src
	}
	// exp(a·x+b)·c, as the plan fuses it from four nodes.
	g := graph.New()
	x := g.Input("x", tensor.Float32, 1024)
	y := nodes.Mul(nodes.Exp(nodes.Offset(nodes.Scale(x, 2), 1)), g.Scalar(3, tensor.Float32))
	e, _, err := exprOf(y, fusable(graph.Needed([]*graph.Node{y}), []*graph.Node{y}))
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.Source()
	add("ew_exp_affine_f32", src, err)
	// Comparisons, Where and Cast with a repeated and a strided operand.
	w := &Expr{
		Shape: []int{3, 4},
		In: []Operand{
			{DType: tensor.Float64, Stride: []int{4, 1}},
			{DType: tensor.Float64, Stride: []int{0, 1}},
			{DType: tensor.Float64, Stride: []int{1, 3}},
			{DType: tensor.Int64, Stride: []int{0, 0}},
		},
		Code: []Instr{
			{Kind: ILoad, In: 0, DType: tensor.Float64},
			{Kind: ILoad, In: 1, DType: tensor.Float64},
			{Kind: IBinary, Bin: nodes.BinLess, Args: []int{0, 1}, DType: tensor.Bool},
			{Kind: ILoad, In: 2, DType: tensor.Float64},
			{Kind: IBinary, Bin: nodes.BinMaximum, Args: []int{0, 3}, DType: tensor.Float64},
			{Kind: ILoad, In: 3, DType: tensor.Int64},
			{Kind: IUnary, Un: nodes.UnAbs, Args: []int{5}, DType: tensor.Int64},
			{Kind: ICast, Args: []int{6}, DType: tensor.Float64},
			{Kind: IWhere, Args: []int{2, 4, 7}, DType: tensor.Float64},
			{Kind: IUnary, Un: nodes.UnSigmoid, Args: []int{8}, DType: tensor.Float64},
		},
	}
	src, err = w.Source()
	add("ew_where_cast_f64", src, err)
	for _, c := range []struct {
		name  string
		kind  nodes.ReduceKind
		dt    tensor.Dtype
		shape []int
		axes  []int
	}{
		{"reduce_rows_sum_f32", nodes.RedSum, tensor.Float32, []int{8, 1024}, []int{1}},
		{"reduce_rows_lse_f64", nodes.RedLogSumExp, tensor.Float64, []int{3, 4, 512}, []int{1, 2}},
		{"reduce_any_max_f64", nodes.RedMax, tensor.Float64, []int{5, 6, 7}, []int{0, 2}},
		{"reduce_any_sum_i64", nodes.RedSum, tensor.Int64, []int{9, 4}, []int{0}},
	} {
		src, err := planReduce(c.kind, plainInput(c.dt, c.shape), c.axes).Source()
		add(c.name, src, err)
	}
	src, err = planSoftmax(plainInput(tensor.Float32, []int{8, 1024}), false, 1).Source()
	add("softmax_rows_f32", src, err)
	src, err = planSoftmax(plainInput(tensor.Float64, []int{3, 5, 4}), true, 1).Source()
	add("softmax_lines_log_f64", src, err)
	// A fused tail: softmax of scale·x + bias, bias repeated over the rows.
	sm := &Expr{Shape: []int{4, 512}, In: []Operand{{DType: tensor.Float32, Stride: []int{512, 1}}, {DType: tensor.Float32, Stride: []int{0, 1}}},
		Code: []Instr{{Kind: ILoad, In: 0, DType: tensor.Float32}, {Kind: IUnary, Un: nodes.UnScale, C: 0.125, Args: []int{0}, DType: tensor.Float32},
			{Kind: ILoad, In: 1, DType: tensor.Float32}, {Kind: IBinary, Bin: nodes.BinAdd, Args: []int{1, 2}, DType: tensor.Float32}}}
	src, err = planSoftmax(sm, false, 1).Source()
	add("softmax_rows_fused_f32", src, err)
	src, err = planReduce(nodes.RedMean, sm, []int{0}).Source()
	add("reduce_any_fused_f32", src, err)
	src, err = strideCopy{esize: 4, shape: []int{4, 2, 16, 8}, ss: []int{8, 512, 32, 1}, ds: []int{256, 128, 8, 1}}.merged().Source()
	add("copy_transpose_f32", src, err)
	src, err = gather{esize: 8}.Source()
	add("gather_8", src, err)
	src, err = take{esize: 4, shape: []int{3, 5}}.Source()
	add("take_4", src, err)
	src, err = gemmPtrs{shape: []int{4, 2}}.Source()
	add("gemm_ptrs_2", src, err)
	src, err = solve{dt: tensor.Float32, n: 5, nb: 1}.Source()
	add("solve_f32_n5", src, err)
	src, err = solve{dt: tensor.Float64, n: 3, nb: 2}.Source()
	add("solve_f64_n3", src, err)
	for name, src := range laGoldens(t) {
		add(name, src, nil)
	}
	scatterGoldens(add)
	return out
}

func TestGoldenKernels(t *testing.T) {
	for name, src := range goldenKernels(t) {
		path := filepath.Join("testdata", name+".cu")
		if *update {
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run Golden -update to write it)", name, err)
		}
		if string(want) != src {
			t.Errorf("%s differs from %s (go test -run Golden -update rewrites it); got:\n%s", name, path, src)
		}
	}
}

// The golden sources stand for every kernel family: each has one entry
// point (an elementwise kernel may add its float4 twin ew4, a row softmax
// its warp-per-row twin softmax_warp), the struct
// its launch fills, and the shared prelude.
func TestGoldenKernelsShape(t *testing.T) {
	for name, src := range goldenKernels(t) {
		k := strings.Count(src, "extern \"C\" __global__")
		if k != 1 && !(k == 2 && (strings.Contains(src, " ew4(") || strings.Contains(src, " softmax_warp("))) {
			t.Errorf("%s: want exactly one kernel", name)
		}
		if !strings.HasPrefix(src, prelude) {
			t.Errorf("%s: no prelude", name)
		}
	}
}
