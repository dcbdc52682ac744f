package cpu

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/linalg"
	"github.com/loomtensor/loom/nodes"
)

// kernelFor picks the kernel for a node's op, or nil for the reference rule.
func kernelFor(n *graph.Node) kernel {
	switch op := n.Op().(type) {
	case *nodes.ReshapeOp, *nodes.RavelOp:
		return view
	case *nodes.TransposeOp:
		return transpose(op.Perm)
	case *nodes.Unary:
		return unary
	case *nodes.Binary:
		return binary
	case *nodes.SoftmaxOp:
		return softmax
	case *nodes.MatMulOp:
		return matmul
	case *nodes.BatchMatMulOp:
		return batchMatMul
	case *nodes.FusedOp:
		return fused
	case *nodes.FusedMatMulOp:
		return fusedMatMul
	case *nodes.Reduce:
		return reduce
	case *nodes.BroadcastOp:
		return broadcast
	case *nodes.WhereOp:
		return where
	case *nodes.ConcatOp:
		return concat
	case *nodes.StackOp:
		return stack
	case *graph.Select:
		return selectK
	case *graph.Unselect:
		return unselect
	case *graph.Gather:
		return gather
	case *graph.TakeOp:
		return take
	case *graph.Scatter:
		return scatter
	case *nodes.CastOp:
		return cast
	case *nodes.OuterOp:
		return outer
	case *nodes.SolveOp:
		return solve
	case *nodes.InvOp:
		return square(linalg.Inv[float32], linalg.Inv[float64])
	case *nodes.CholeskyOp:
		return square(linalg.Cholesky[float32], linalg.Cholesky[float64])
	}
	return nil
}
