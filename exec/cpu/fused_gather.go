package cpu

import (
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// gatherP reads a broadcast operand in the expression's element order: the
// expression's dims merged where the operand walks them as one, each with
// the operand's stride along it (0 where it repeats).
type gatherP struct {
	size, stride []int
}

func newGather(shape []int, in nodes.ExprInput) gatherP {
	src := make([]int, len(shape))
	st := dense.Strides(in.Shape)
	for k, d := range in.Dims {
		src[d] = st[k]
	}
	var g gatherP
	for d, n := range shape {
		if n == 1 {
			continue
		}
		if l := len(g.size) - 1; l >= 0 && g.stride[l] == src[d]*n {
			g.size[l] *= n
			g.stride[l] = src[d]
			continue
		}
		g.size = append(g.size, n)
		g.stride = append(g.stride, src[d])
	}
	return g
}

// gatherFill writes the operand's values for elements [lo, lo+len(d)) to
// d: runs along the innermost merged dim are copies, fills or strided reads.
func gatherFill[T float](g *gatherP, d, src []T, lo int) {
	r := len(g.size)
	if r == 0 {
		for i := range d {
			d[i] = src[0]
		}
		return
	}
	var buf [8]int
	idx := buf[:0]
	if r > len(buf) {
		idx = make([]int, r)
	}
	idx = idx[:r]
	rem := lo
	for k := r - 1; k >= 0; k-- {
		idx[k] = rem % g.size[k]
		rem /= g.size[k]
	}
	inner, step := g.size[r-1], g.stride[r-1]
	for pos := 0; pos < len(d); {
		off := 0
		for k, v := range idx {
			off += v * g.stride[k]
		}
		run := min(inner-idx[r-1], len(d)-pos)
		out := d[pos : pos+run]
		switch step {
		case 1:
			copy(out, src[off:off+run])
		case 0:
			v := src[off]
			for i := range out {
				out[i] = v
			}
		default:
			for i := range out {
				out[i] = src[off]
				off += step
			}
		}
		pos += run
		idx[r-1] += run
		for k := r - 1; k > 0 && idx[k] == g.size[k]; k-- {
			idx[k] = 0
			idx[k-1]++
		}
	}
}
