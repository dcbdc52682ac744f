package nodes

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Gradient rules of the linear solvers, at natural rank and in the batched
// forms (NB leading batch dims, each possibly 1 on one side).

// VJP of x = A⁻¹b: λ = A⁻ᵀx̄ (one more solve), b̄ = λ and Ā = -λxᵀ.
func (o *SolveOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 2); err != nil {
		return nil, err
	}
	A, b, nb := in[0], in[1], o.NB
	lam := graph.Apply(&SolveOp{NB: nb}, swapLast(A), ct)
	var gA *graph.Node
	switch vec := b.Rank() == nb+1; {
	case nb == 0 && vec:
		gA = Neg(Outer(lam, out))
	case nb == 0:
		gA = Neg(MatMul(lam, T(out)))
	case vec: // [B..., n] ⊗ [B..., n] as [B..., n, 1]·[B..., 1, n]
		col, row := insertOne(lam, nb+1), insertOne(out, nb)
		gA = graph.Apply(&BatchMatMulOp{Alpha: -1}, col, row)
	default:
		gA = graph.Apply(&BatchMatMulOp{TransB: true, Alpha: -1}, lam, out)
	}
	return grads(o, sumBatch(gA, A.Shape(), nb), sumBatch(lam, b.Shape(), nb))
}

// VJP of Y = A⁻¹ is Ā = -Yᵀ·Ȳ·Yᵀ.
func (o *InvOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	if o.NB == 0 {
		yt := T(out)
		return grads(o, Neg(MatMul(yt, MatMul(ct, yt))))
	}
	inner := graph.Apply(&BatchMatMulOp{TransB: true}, ct, out)
	return grads(o, graph.Apply(&BatchMatMulOp{TransA: true, Alpha: -1}, out, inner))
}

// VJP of L = chol(A) is the transpose of the forward-mode rule
// L̇ = L·Φ(L⁻¹·Ȧ·L⁻ᵀ) (Murray 2016; JAX's cholesky_jvp), where Φ keeps the
// lower triangle and halves the diagonal:
//
//	Ā = sym(L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹), sym(X) = (X+Xᵀ)/2,
//
// symmetric because the op factors the symmetric part of its input. L⁻¹ is
// formed once (Inv) and applied by two GEMMs: there is no triangular solve
// primitive, and two general solves with n right-hand sides cost more than
// one inverse and two products (L is well conditioned wherever the forward
// succeeded on a reasonably conditioned A).
func (o *CholeskyOp) VJP(in []*graph.Node, out, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	nb, L := o.NB, out
	phi := svPhi(L, L.Dim(nb))
	li := graph.Apply(&InvOp{NB: nb}, L)
	var g *graph.Node
	if nb == 0 {
		m := Mul(MatMul(T(L), ct), phi)
		g = MatMul(T(li), MatMul(m, li))
	} else {
		mm := func(a, b *graph.Node, ta bool) *graph.Node {
			return graph.Apply(&BatchMatMulOp{TransA: ta}, a, b)
		}
		m := graph.Apply(&Binary{Kind: BinMul, Bcast: true}, mm(L, ct, true), phi)
		g = mm(li, mm(m, li, false), true)
	}
	return grads(o, Scale(Add(g, swapLast(g)), 0.5))
}

// svPhi is the n×n mask of Φ in x's dtype: 1 below the diagonal, ½ on it.
func svPhi(x *graph.Node, n int) *graph.Node {
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			v[i*n+j] = 1
		}
		v[i*n+i] = 0.5
	}
	return x.Graph().Const(dense.FromF64(x.DType(), []int{n, n}, v))
}
