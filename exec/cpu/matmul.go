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
func matmul(n *graph.Node, args []*tensor.Dense) (*tensor.Dense, bool, error) {
	a, b := dense.Contiguous(args[0]), dense.Contiguous(args[1])
	sa, sb := dense.Shape(a), dense.Shape(b)
	m, k, nn := 1, sa[len(sa)-1], 1
	if len(sa) == 2 {
		m = sa[0]
	}
	if len(sb) == 2 {
		nn = sb[1]
	}
	return gemmInto(a, b, n.Shape(), false, false, m, nn, k, 0, 0, 1)
}

// batchMatMul runs BatchMatMul: the batch dims (equal, or 1 on one side) are
// collapsed into one strided batch when each operand is either fully batched
// or fully shared; otherwise one strided batch per leading index.
func batchMatMul(n *graph.Node, args []*tensor.Dense) (*tensor.Dense, bool, error) {
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
	batch := dense.Size(out[:nb])
	fullA, fullB := dense.Size(sa[:nb]) == batch, dense.Size(sb[:nb]) == batch
	sharedA, sharedB := dense.Size(sa[:nb]) == 1, dense.Size(sb[:nb]) == 1
	if (fullA || sharedA) && (fullB || sharedB) {
		strideA, strideB := m*k, k*nn
		if sharedA {
			strideA = 0
		}
		if sharedB {
			strideB = 0
		}
		return gemmInto(a, b, out, op.TransA, op.TransB, m, nn, k, strideA, strideB, batch)
	}
	return nil, false, nil // mixed broadcasting: the reference rule
}

// gemmInto computes c = op(a)·op(b) for batch strided products.
func gemmInto(a, b *tensor.Dense, shape []int, tA, tB bool, m, n, k, strideA, strideB, batch int) (*tensor.Dense, bool, error) {
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	switch a.Dtype() {
	case tensor.Float32:
		c := dense.Zeros(tensor.Float32, shape)
		gemm.SgemmBatch(tA, tB, m, n, k, 1, a.Float32s(), lda, strideA, b.Float32s(), ldb, strideB, 0, c.Float32s(), n, m*n, batch)
		return c, true, nil
	case tensor.Float64:
		c := dense.Zeros(tensor.Float64, shape)
		gemm.DgemmBatch(tA, tB, m, n, k, 1, a.Float64s(), lda, strideA, b.Float64s(), ldb, strideB, 0, c.Float64s(), n, m*n, batch)
		return c, true, nil
	}
	return nil, false, nil
}
