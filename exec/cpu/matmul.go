package cpu

import (
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/gemm"
	"github.com/loomtensor/loom/nodes"
)

// matmul runs the natural MatMul (vectors are 1×k or k×1 matrices) as one
// GEMM.
func matmul(n *graph.Node, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	sa, sb := dense.Shape(a), dense.Shape(b)
	m, k, nn := 1, sa[len(sa)-1], 1
	if len(sa) == 2 {
		m = sa[0]
	}
	if len(sb) == 2 {
		nn = sb[1]
	}
	c := reuse(dst, a.Dtype(), n.Shape()) // GEMM with beta 0 writes every element
	return c, gemmAt(a, b, c, false, false, 1, m, nn, k, 0, 0, 0, 0, 0, 0, 1), nil
}

// batchMatMul runs BatchMatMul as strided batched GEMMs: each operand's
// logical batch dims are read through its strides (0 where it is broadcast,
// permuted where the optimizer absorbed a transpose), the innermost batch dim
// (merged with its neighbours where the strides allow) is one strided batch
// call, and any outer batch dims are a loop of such calls.
func batchMatMul(n *graph.Node, args []*tensor.Dense, dst *tensor.Dense) (*tensor.Dense, bool, error) {
	op := n.Op().(*nodes.BatchMatMulOp)
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	sa, sb := dense.Shape(a), dense.Shape(b)
	nb := len(sa) - 2
	m, k := sa[nb], sa[nb+1]
	if op.TransA {
		m, k = k, m
	}
	nn := sb[nb+1]
	if op.TransB {
		nn = sb[nb]
	}
	out := n.Shape()
	if nb == 0 {
		c := reuse(dst, a.Dtype(), out)
		return c, gemmAt(a, b, c, op.TransA, op.TransB, op.Scale(), m, nn, k, 0, 0, 0, 0, 0, 0, 1), nil
	}
	dims := out[:nb]
	strA, strB := dense.BatchStrides(sa, op.PermA), dense.BatchStrides(sb, op.PermB)
	strC := dense.Strides(out)[:nb]
	// Merge batch dims j, j+1 when every operand walks them as one.
	type bdim struct{ size, a, b, c int }
	var bs []bdim
	for j := 0; j < nb; j++ {
		d := bdim{dims[j], strA[j], strB[j], strC[j]}
		if l := len(bs) - 1; l >= 0 && bs[l].a == d.a*d.size && bs[l].b == d.b*d.size && bs[l].c == d.c*d.size {
			bs[l] = bdim{bs[l].size * d.size, d.a, d.b, d.c}
			continue
		}
		bs = append(bs, d)
	}
	inner := bs[len(bs)-1]
	outer := bs[:len(bs)-1]
	c := reuse(dst, a.Dtype(), out)
	idx := make([]int, len(outer))
	for {
		offA, offB, offC := 0, 0, 0
		for j, d := range outer {
			offA += idx[j] * d.a
			offB += idx[j] * d.b
			offC += idx[j] * d.c
		}
		if !gemmAt(a, b, c, op.TransA, op.TransB, op.Scale(), m, nn, k, offA, offB, offC, inner.a, inner.b, inner.c, inner.size) {
			return nil, false, nil
		}
		j := len(idx) - 1
		for ; j >= 0; j-- {
			if idx[j]++; idx[j] < outer[j].size {
				break
			}
			idx[j] = 0
		}
		if j < 0 {
			return c, true, nil
		}
	}
}

// gemmAt runs batch products c[offC+i·sc] = a[offA+i·sa]·b[offB+i·sb].
func gemmAt(a, b, c *tensor.Dense, tA, tB bool, alpha float64, m, n, k, offA, offB, offC, sa, sb, sc, batch int) bool {
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	switch a.Dtype() {
	case tensor.Float32:
		gemm.SgemmBatch(tA, tB, m, n, k, float32(alpha), a.Float32s()[offA:], lda, sa, b.Float32s()[offB:], ldb, sb, 0, c.Float32s()[offC:], n, sc, batch)
	case tensor.Float64:
		gemm.DgemmBatch(tA, tB, m, n, k, alpha, a.Float64s()[offA:], lda, sa, b.Float64s()[offB:], ldb, sb, 0, c.Float64s()[offC:], n, sc, batch)
	default:
		return false
	}
	return true
}
