package train

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Clip scales grads in place so that their global L2 norm (all elements of
// all tensors together) is at most maxNorm, as
// torch.nn.utils.clip_grad_norm_ does: each is multiplied by
// maxNorm/(norm+1e-6) when that is below 1. It returns the norm before
// clipping. A NaN or infinite norm is an error and leaves grads untouched.
func Clip(grads []*tensor.Dense, maxNorm float64) (float64, error) {
	if maxNorm < 0 || math.IsNaN(maxNorm) {
		return 0, fmt.Errorf("train: Clip: maxNorm = %v; want ≥ 0", maxNorm)
	}
	var ss float64
	for i, g := range grads {
		switch {
		case g == nil:
			return 0, fmt.Errorf("train: Clip: grads[%d] is nil", i)
		case g.Dtype() != tensor.Float32 && g.Dtype() != tensor.Float64:
			return 0, fmt.Errorf("train: Clip: grads[%d] has dtype %v; want float32 or float64", i, g.Dtype())
		case g.IsView() || g.IsMaterializable():
			return 0, fmt.Errorf("train: Clip: grads[%d] %v is a view; it must own a contiguous buffer", i, g.Shape())
		}
		if g.Dtype() == tensor.Float32 {
			ss += sumSq(dense.Raw(g).([]float32))
		} else {
			ss += sumSq(dense.Raw(g).([]float64))
		}
	}
	norm := math.Sqrt(ss)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("train: Clip: gradient norm is %v", norm)
	}
	c := maxNorm / (norm + 1e-6)
	if c >= 1 {
		return norm, nil
	}
	for _, g := range grads {
		if g.Dtype() == tensor.Float32 {
			scale(dense.Raw(g).([]float32), float32(c))
		} else {
			scale(dense.Raw(g).([]float64), c)
		}
	}
	return norm, nil
}

// sumSq accumulates in float64 whatever the element type, so float32
// gradients with many elements do not lose the small ones.
func sumSq[T float](xs []T) float64 {
	var s float64
	for _, x := range xs {
		s += float64(x) * float64(x)
	}
	return s
}

func scale[T float](xs []T, c T) {
	for i := range xs {
		xs[i] *= c
	}
}
