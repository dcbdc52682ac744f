package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// fused runs a FusedOp whose operands all have its float dtype (the
// optimizer only fuses such chains); anything else takes the reference rule.
func fused(n *graph.Node, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.FusedOp)
	in, ok := sameDtype(args, n.DType(), op.Inputs)
	if !ok {
		return nil, false, nil
	}
	switch n.DType() {
	case tensor.Float32:
		return runFused[float32](&op.Expr, n.Shape(), in, dst)
	case tensor.Float64:
		return runFused[float64](&op.Expr, n.Shape(), in, dst)
	}
	return nil, false, nil
}

// sameDtype returns args made contiguous when each has dtype dt and the
// shape its ExprInput declares.
func sameDtype(args []*tensor.Dense, dt tensor.Dtype, want []nodes.ExprInput) ([]*tensor.Dense, bool) {
	if len(args) != len(want) {
		return nil, false
	}
	in := make([]*tensor.Dense, len(args))
	for k, a := range args {
		if a.Dtype() != dt || a.Size() != dense.Size(want[k].Shape) {
			return nil, false
		}
		in[k] = dense.Contiguous(a)
	}
	return in, true
}

func runFused[T float](e *nodes.Expr, shape []int, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
	p := progFor[T](e)
	var z T
	out := reuse(dst, dtypeOf(z), shape)
	r := p.bind(args, dense.Raw(out).([]T))
	switch p.tail.Kind {
	case nodes.TailNone:
		parallel.For(p.n, grain, func(lo, hi int) {
			bp, bufs := p.tempBuf()
			p.evalRange(r, lo, hi, bufs, nil)
			p.putTemp(bp)
		})
	case nodes.TailSoftmax:
		p.softmax(r)
	case nodes.TailReduce:
		if !p.reduce(r) {
			return nil, false, nil
		}
	}
	return out, true, nil
}

func dtypeOf(v any) tensor.Dtype {
	if _, ok := v.(float64); ok {
		return tensor.Float64
	}
	return tensor.Float32
}

// softmax runs the expression into the output and (log-)softmaxes it along
// the tail's axis, a few rows at a time, so each row is normalized while
// the chunks just written are still in cache.
func (p *fprog[T]) softmax(r *frun[T]) {
	ax := p.tail.Axis
	outer, n, inner := dense.Size(p.shape[:ax]), p.shape[ax], dense.Size(p.shape[ax+1:])
	if p.n == 0 {
		return
	}
	if inner == 1 {
		group := max(1, 4*p.chunk/n) // rows per pass: ~32 KiB
		parallel.For(outer, max(1, grain/n), func(lo, hi int) {
			bp, bufs := p.tempBuf()
			for g := lo; g < hi; g += group {
				e := min(hi, g+group)
				p.evalRange(r, g*n, e*n, bufs, nil)
				p.softmaxRows(r.out[g*n:e*n], n)
			}
			p.putTemp(bp)
		})
		return
	}
	if outer >= parallel.Workers() {
		parallel.For(outer, 1, func(lo, hi int) {
			bp, bufs := p.tempBuf()
			for o := lo; o < hi; o++ {
				base := o * n * inner
				p.evalRange(r, base, base+n*inner, bufs, nil)
				for q := 0; q < inner; q++ {
					softmaxRow(r.out, r.out, base+q, n, inner, p.tail.Log)
				}
			}
			p.putTemp(bp)
		})
		return
	}
	parallel.For(p.n, grain, func(lo, hi int) {
		bp, bufs := p.tempBuf()
		p.evalRange(r, lo, hi, bufs, nil)
		p.putTemp(bp)
	})
	parallel.For(outer*inner, max(1, grain/n), func(lo, hi int) {
		for l := lo; l < hi; l++ {
			softmaxRow(r.out, r.out, (l/inner)*n*inner+l%inner, n, inner, p.tail.Log)
		}
	})
}

// softmaxRows normalizes, in place, each contiguous row of length n in v.
func (p *fprog[T]) softmaxRows(v []T, n int) {
	if v32, ok := f32(v); ok && !p.tail.Log {
		for o := 0; o+n <= len(v32); o += n {
			softmaxRow32(v32[o:o+n], v32[o:o+n])
		}
		return
	}
	for o := 0; o+n <= len(v); o += n {
		softmaxRow(v, v, o, n, 1, p.tail.Log)
	}
}
