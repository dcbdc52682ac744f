package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
)

// view reshapes without copying: ops never write their operands, so the
// result may share the operand's buffer (Run copies outputs that would alias
// a feed or a constant).
func view(n *graph.Node, args []*tensor.Dense, _ *tensor.Dense) (*tensor.Dense, bool, error) {
	x := dense.Contiguous(args[0])
	shape := n.Shape()
	if dense.Size(shape) != x.Size() {
		return nil, false, nil
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dense.Raw(x))), true, nil
}

// transpose copies x into the permuted layout. The innermost output dim is
// walked with the matching input stride; blocks of outer rows go to workers.
func transpose(perm []int) kernel {
	return func(n *graph.Node, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
		x := dense.Contiguous(args[0])
		in := dense.Shape(x)
		ist := dense.Strides(in)
		out := reuse(dst, x.Dtype(), n.Shape()) // every element is written
		os := n.Shape()
		r := len(os)
		if r == 0 || out.Size() == 0 {
			return dense.Clone(x), true, nil
		}
		src := make([]int, r) // input stride of each output dim
		for k, p := range perm {
			src[k] = ist[p]
		}
		inner, step := os[r-1], src[r-1]
		rows := out.Size() / inner
		parallel.For(rows, max(1, 4096/inner), func(lo, hi int) {
			idx := make([]int, r-1)
			rem := lo
			for k := r - 2; k >= 0; k-- {
				idx[k] = rem % os[k]
				rem /= os[k]
			}
			for row := lo; row < hi; row++ {
				off := 0
				for k, v := range idx {
					off += v * src[k]
				}
				copyStrided(out, row*inner, x, off, step, inner)
				for k := r - 2; k >= 0; k-- {
					if idx[k]++; idx[k] < os[k] {
						break
					}
					idx[k] = 0
				}
			}
		})
		return out, true, nil
	}
}

func copyStrided(dst *tensor.Dense, di int, src *tensor.Dense, si, step, n int) {
	switch dst.Dtype() {
	case tensor.Float32:
		strided(dst.Float32s()[di:di+n], src.Float32s(), si, step)
	case tensor.Float64:
		strided(dst.Float64s()[di:di+n], src.Float64s(), si, step)
	case tensor.Int64:
		strided(dst.Int64s()[di:di+n], src.Int64s(), si, step)
	case tensor.Bool:
		strided(dst.Bools()[di:di+n], src.Bools(), si, step)
	}
}

func strided[T any](dst, src []T, off, step int) {
	for i := range dst {
		dst[i] = src[off]
		off += step
	}
}
