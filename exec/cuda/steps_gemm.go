package cuda

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// gemmPlan is a (batched) row-major product C = alpha·op(A)·op(B).
type gemmPlan struct {
	f64     bool
	tA, tB  bool
	m, n, k int
	alpha   float64
	batch   int
	ptrs    gemmPtrs // batch > 1: where each matrix of the batch starts
	src     string   // the pointer kernel
}

// gemmStep runs MatMul, Outer and BatchMatMul through cuBLAS (float32 and
// float64; int64 has no device GEMM).
func gemmStep(n *graph.Node) (*step, error) {
	in := n.Inputs()
	g, err := planGemm(n.Op(), in[0], in[1], n.Shape())
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: in, srcs: g.srcs(), exec: func(r *run, in []*Tensor) (*Tensor, error) {
		out, err := r.out(n)
		if err != nil {
			return nil, err
		}
		return out, g.run(r, in[0].ptr(), in[1].ptr(), out)
	}}, nil
}

// fusedMatMulStep is a product whose epilogue (a fused expression reading
// the product as its first operand) runs as a second kernel over it.
func fusedMatMulStep(n *graph.Node, op *nodes.FusedMatMulOp) (*step, error) {
	in := n.Inputs()
	pt, err := op.MM.Infer([]graph.Type{in[0].Type(), in[1].Type()})
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	g, err := planGemm(op.MM, in[0], in[1], pt.Shape)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	k, err := fusedKernel(op.Epi)
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	src, err := k.Source()
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	return &step{n: n, args: in, srcs: append(g.srcs(), kernelSrc{src, kernelName(src)}), exec: func(r *run, in []*Tensor) (*Tensor, error) {
		prod, err := r.e.newTensor(pt.DType, pt.Shape)
		if err != nil {
			return nil, err
		}
		defer r.e.release(prod.buf) // the stream orders any reuse after the epilogue
		if err := g.run(r, in[0].ptr(), in[1].ptr(), prod); err != nil {
			return nil, err
		}
		out, err := r.out(n)
		if err != nil || out.size() == 0 {
			return out, err
		}
		ptrs := append([]uint64{prod.ptr()}, ptrsOf(in[2:])...)
		return out, r.launch(k.launch(src, out.ptr(), ptrs, r.sms))
	}}, nil
}

// planGemm plans the product op (MatMul, Outer or BatchMatMul) of a and b
// into a value of shape out.
func planGemm(op graph.Op, a, b *graph.Node, out []int) (gemmPlan, error) {
	dt := a.DType()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return gemmPlan{}, fmt.Errorf("cuBLAS multiplies float32 and float64, not %v", dt)
	}
	sa, sb := a.Shape(), b.Shape()
	g := gemmPlan{f64: dt == tensor.Float64, alpha: 1, batch: 1}
	switch op := op.(type) {
	case *nodes.MatMulOp:
		g.m, g.k, g.n = 1, sa[len(sa)-1], 1
		if len(sa) == 2 {
			g.m = sa[0]
		}
		if len(sb) == 2 {
			g.n = sb[1]
		}
	case *nodes.OuterOp:
		g.m, g.n, g.k = sa[0], sb[0], 1
	case *nodes.BatchMatMulOp:
		nb := len(sa) - 2
		g.tA, g.tB, g.alpha = op.TransA, op.TransB, op.Scale()
		g.m, g.k = sa[nb], sa[nb+1]
		if op.TransA {
			g.m, g.k = g.k, g.m
		}
		g.n = sb[nb+1]
		if op.TransB {
			g.n = sb[nb]
		}
		es := elemBytes(dt)
		strA, strB := dense.BatchStrides(sa, op.PermA), dense.BatchStrides(sb, op.PermB)
		strC := dense.Strides(out)
		for j := 0; j < nb; j++ {
			g.batch *= out[j]
			d := out[j]
			if d == 1 {
				continue
			}
			p := &g.ptrs
			if l := len(p.shape) - 1; l >= 0 && p.as[l] == strA[j]*es*d && p.bs[l] == strB[j]*es*d && p.cs[l] == strC[j]*es*d {
				p.shape[l] *= d
				p.as[l], p.bs[l], p.cs[l] = strA[j]*es, strB[j]*es, strC[j]*es
				continue
			}
			p.shape = append(p.shape, d)
			p.as, p.bs, p.cs = append(p.as, strA[j]*es), append(p.bs, strB[j]*es), append(p.cs, strC[j]*es)
		}
		// One merged batch dim is a strided batch; anything else (batch
		// dims cuBLAS cannot walk with one stride) needs pointer arrays.
		if g.batch > 1 && len(g.ptrs.shape) > 1 {
			var err error
			if g.src, err = g.ptrs.Source(); err != nil {
				return gemmPlan{}, err
			}
		}
	default:
		return gemmPlan{}, fmt.Errorf("%s is not a product", op.Name())
	}
	return g, nil
}

func (g gemmPlan) srcs() []kernelSrc {
	if g.src == "" {
		return nil
	}
	return []kernelSrc{{g.src, "gemm_ptrs"}}
}

// run computes the product of a and b into out.
func (g gemmPlan) run(r *run, a, b uint64, out *Tensor) error {
	if out.size() == 0 {
		return nil
	}
	if g.k == 0 {
		return zeros(r, out)
	}
	if g.batch == 1 {
		return r.e.g.gemm(rowMajorGemm(g.f64, g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, b, out.ptr(), 1))
	}
	if g.src == "" {
		es := elemBytes(out.dt)
		p := g.ptrs
		c := rowMajorGemm(g.f64, g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, b, out.ptr(), g.batch)
		return r.e.g.gemm(c.withStrides(p.as[0]/es, p.bs[0]/es, p.cs[0]/es))
	}
	arrays, err := r.e.alloc(int64(24 * g.batch))
	if err != nil {
		return err
	}
	defer r.e.release(arrays) // the stream orders any reuse after the GEMM
	if err := r.launch(g.ptrs.launch(g.src, arrays.ptr, a, b, out.ptr(), g.batch, r.sms)); err != nil {
		return err
	}
	pa, pb, pc := arrays.ptr, arrays.ptr+uint64(8*g.batch), arrays.ptr+uint64(16*g.batch)
	return r.e.g.gemm(rowMajorGemm(g.f64, g.tA, g.tB, g.m, g.n, g.k, g.alpha, pa, pb, pc, g.batch))
}
