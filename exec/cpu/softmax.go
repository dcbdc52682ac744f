package cpu

import (
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/internal/vmath"
	"github.com/loomtensor/loom/nodes"
)

// softmax runs (log-)softmax along one axis: the rows of length n at stride
// inner are split over the workers. Each row is shifted by its max (when
// finite), so large inputs do not overflow; sums accumulate in float64.
func softmax(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.SoftmaxOp)
	x := dense.Contiguous(args[0])
	shape := dense.Shape(x)
	axis := 0
	if op.Batched {
		axis = op.Axis
	}
	if axis < 0 || axis >= len(shape) {
		return nil, false, nil
	}
	outer, length, inner := dense.Size(shape[:axis]), shape[axis], dense.Size(shape[axis+1:])
	switch x.Dtype() {
	case tensor.Float32:
		out := reuse(donor, tensor.Float32, shape)
		softmaxRows(out.Float32s(), x.Float32s(), outer, length, inner, op.Log)
		return out, true, nil
	case tensor.Float64:
		out := reuse(donor, tensor.Float64, shape)
		softmaxRows(out.Float64s(), x.Float64s(), outer, length, inner, op.Log)
		return out, true, nil
	}
	return nil, false, nil
}

func softmaxRows[T float](dst, src []T, outer, n, inner int, log bool) {
	rows := outer * inner
	parallel.For(rows, max(1, grain/max(n, 1)), func(lo, hi int) {
		if d32, ok := any(dst).([]float32); ok && inner == 1 && !log {
			s32 := any(src).([]float32)
			for r := lo; r < hi; r++ {
				softmaxRow32(d32[r*n:(r+1)*n], s32[r*n:(r+1)*n])
			}
			return
		}
		for r := lo; r < hi; r++ {
			base := (r/inner)*n*inner + r%inner
			softmaxRow(dst, src, base, n, inner, log)
		}
	})
}

func softmaxRow[T float](dst, src []T, base, n, step int, log bool) {
	mx := math.Inf(-1)
	for i, p := 0, base; i < n; i, p = i+1, p+step {
		mx = math.Max(mx, float64(src[p]))
	}
	if math.IsInf(mx, 0) {
		mx = 0
	}
	sum := 0.0
	for i, p := 0, base; i < n; i, p = i+1, p+step {
		e := math.Exp(float64(src[p]) - mx)
		if !log {
			dst[p] = T(e)
		}
		sum += e
	}
	if log {
		ls := mx + math.Log(sum)
		for i, p := 0, base; i < n; i, p = i+1, p+step {
			dst[p] = T(float64(src[p]) - ls)
		}
		return
	}
	inv := 1 / sum
	for i, p := 0, base; i < n; i, p = i+1, p+step {
		dst[p] = T(float64(dst[p]) * inv)
	}
}

// softmaxRow32 is the contiguous float32 row: one max pass, one fused
// exp-and-sum pass and one scale pass, the last two vectorized (vmath).
func softmaxRow32(dst, src []float32) {
	mx := vmath.Max32(src)
	if math.IsInf(float64(mx), 0) || mx != mx {
		mx = 0
	}
	sum := vmath.ExpShiftSum32(dst, src, mx)
	vmath.Scale32s(dst, 1/sum)
}
