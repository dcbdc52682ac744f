package cpu

import (
	"sync/atomic"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/gemm"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// A matmul epilogue runs on each block of the product right after the GEMM
// has written it, while the block is still in the computing core's cache:
// the product is written once, by the epilogue, instead of written, read
// and written again. internal/gemm has no per-tile hook, so the blocks are
// whole matrices of a batch (or row strips of one matrix), each a separate
// GEMM call followed by the epilogue on the same worker.

// epiBlock bounds a block (elements): 1 Mi float32 is 4 MiB, within L3
// next to the core; a single bigger product is multiplied whole first and
// then runs its epilogue as a second parallel pass.
const epiBlock = 1 << 20

// gemmGeom is one product's shape: batch matrices C_i = alpha·op(A_i)·op(B_i).
type gemmGeom struct {
	tA, tB     bool
	m, n, k    int
	lda, ldb   int
	alpha      float64
	offA, offB []int // per batch matrix, in the result's row-major order
	batch      int
}

// geometry reads a MatMul or BatchMatMul on contiguous operands.
func geometry(mm graph.Op, a, b *tensor.Dense, out []int) (gemmGeom, bool) {
	sa, sb := dense.Shape(a), dense.Shape(b)
	switch op := mm.(type) {
	case *nodes.MatMulOp:
		g := gemmGeom{m: 1, n: 1, k: sa[len(sa)-1], alpha: 1, offA: []int{0}, offB: []int{0}, batch: 1}
		if len(sa) == 2 {
			g.m = sa[0]
		}
		if len(sb) == 2 {
			g.n = sb[1]
		}
		g.lda, g.ldb = g.k, g.n
		return g, true
	case *nodes.BatchMatMulOp:
		nb := len(sa) - 2
		g := gemmGeom{tA: op.TransA, tB: op.TransB, m: sa[nb], k: sa[nb+1], n: sb[nb+1], alpha: op.Scale()}
		if op.TransA {
			g.m, g.k = g.k, g.m
		}
		if op.TransB {
			g.n = sb[nb]
		}
		g.lda, g.ldb = g.k, g.n
		if g.tA {
			g.lda = g.m
		}
		if g.tB {
			g.ldb = g.k
		}
		dims := out[:nb]
		g.batch = dense.Size(dims)
		strA, strB := dense.BatchStrides(sa, op.PermA), dense.BatchStrides(sb, op.PermB)
		idx := make([]int, nb)
		for i := 0; i < g.batch; i++ {
			oa, ob := 0, 0
			for j, v := range idx {
				oa += v * strA[j]
				ob += v * strB[j]
			}
			g.offA, g.offB = append(g.offA, oa), append(g.offB, ob)
			for j := nb - 1; j >= 0; j-- {
				if idx[j]++; idx[j] < dims[j] {
					break
				}
				idx[j] = 0
			}
		}
		return g, true
	}
	return gemmGeom{}, false
}

// fusedMatMul multiplies block by block, running the epilogue on each.
func fusedMatMul(n *graph.Node, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
	return fusedMatMulInto(n, args, dst, nil)
}

// fusedMatMulInto is fusedMatMul with the product written into prod when
// not nil, so that dst may be an epilogue operand (a donated feed).
func fusedMatMulInto(n *graph.Node, args []*tensor.Dense, dst, prod *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.FusedMatMulOp)
	dt := n.DType()
	if len(args) < 2 || args[0].Dtype() != dt || args[1].Dtype() != dt || op.Epi.Tail.Kind == nodes.TailReduce {
		return nil, false, nil
	}
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	prodShape := op.Epi.Inputs[0].Shape
	g, ok := geometry(op.MM, a, b, productShape(op.MM, a, b, prodShape))
	if !ok || g.batch*g.m*g.n != dense.Size(prodShape) {
		return nil, false, nil
	}
	// Epilogue operands: the product (the output buffer itself), then the rest.
	epiArgs := append([]*tensor.Dense{nil}, args[2:]...)
	for k := 1; k < len(epiArgs); k++ {
		if epiArgs[k].Dtype() != dt {
			return nil, false, nil
		}
		epiArgs[k] = dense.Contiguous(epiArgs[k])
	}
	out := reuse(dst, dt, n.Shape())
	epiArgs[0] = out
	if prod != nil {
		epiArgs[0] = prod
	}
	switch dt {
	case tensor.Float32:
		runEpilogue[float32](&op.Epi.Expr, g, a.Float32s(), b.Float32s(), epiArgs, out.Float32s(), gemm.SgemmBatch)
	case tensor.Float64:
		runEpilogue[float64](&op.Epi.Expr, g, a.Float64s(), b.Float64s(), epiArgs, out.Float64s(), gemm.DgemmBatch)
	default:
		return nil, false, nil
	}
	return out, true, nil
}

// productShape is the product's own shape (what its op's rule says).
func productShape(mm graph.Op, a, b *tensor.Dense, fallback []int) []int {
	t, err := mm.Infer([]graph.Type{graph.Of(a.Dtype(), dense.Shape(a)), graph.Of(b.Dtype(), dense.Shape(b))})
	if err != nil {
		return fallback
	}
	return t.Shape
}

type gemmFn[T float] func(tA, tB bool, m, n, k int, alpha T, a []T, lda, strideA int, b []T, ldb, strideB int, beta T, c []T, ldc, strideC int, batch int)

func runEpilogue[T float](e *nodes.Expr, g gemmGeom, a, b []T, args []*tensor.Dense, out []T, mul gemmFn[T]) {
	p := progFor[T](e)
	r := p.bind(args, out)
	prod := dense.Raw(args[0]).([]T) // the GEMM's result: out, or scratch
	mn := g.m * g.n
	gemmRows := func(i, r0, r1 int) {
		ao := g.offA[i] + r0*g.lda
		if g.tA {
			ao = g.offA[i] + r0
		}
		mul(g.tA, g.tB, r1-r0, g.n, g.k, T(g.alpha), a[ao:], g.lda, 0, b[g.offB[i]:], g.ldb, 0, 0, prod[i*mn+r0*g.n:], g.n, 0, 1)
	}
	epi := func(lo, hi int, bufs [][]T) {
		p.evalRange(r, lo, hi, bufs, nil)
		if p.tail.Kind == nodes.TailSoftmax {
			p.softmaxRows(out[lo:hi], g.n)
		}
	}
	W := parallel.Workers()
	rowsOK := p.tail.Kind != nodes.TailSoftmax || p.tail.Axis == len(p.shape)-1 && p.shape[p.tail.Axis] == g.n
	if mn > epiBlock || g.m == 0 || g.n == 0 || !rowsOK {
		// Too big to keep in cache: the GEMMs at full width, then one pass.
		for i := 0; i < g.batch; i++ {
			gemmRows(i, 0, g.m)
		}
		if p.tail.Kind == nodes.TailSoftmax {
			p.softmax(r)
			return
		}
		parallel.For(p.n, grain, func(lo, hi int) {
			bp, bufs := p.tempBuf()
			epi(lo, hi, bufs)
			p.putTemp(bp)
		})
		return
	}
	// Blocks: whole matrices, or row strips of each when there are fewer
	// matrices than workers.
	rows := g.m
	if g.batch < W {
		rows = min(g.m, max(16, (g.m+W-1)/W+15)/16*16)
	}
	per := (g.m + rows - 1) / rows
	units := g.batch * per
	var next atomic.Int64
	parallel.For(min(W, units), 1, func(lo, hi int) {
		bp, bufs := p.tempBuf()
		for {
			u := int(next.Add(1) - 1)
			if u >= units {
				break
			}
			i, r0 := u/per, (u%per)*rows
			r1 := min(g.m, r0+rows)
			gemmRows(i, r0, r1)
			epi(i*mn+r0*g.n, i*mn+r1*g.n, bufs)
		}
		p.putTemp(bp)
	})
}
