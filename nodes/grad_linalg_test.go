package nodes_test

import (
	"fmt"
	"testing"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

func TestGradMatMul(t *testing.T) {
	for _, c := range []gradCase{
		gBi("MatMul/mm", gUniform(3, 4), gUniform(4, 2), nodes.MatMul),
		gBi("MatMul/mv", gUniform(3, 4), gUniform(4), nodes.MatMul),
		gBi("MatMul/vm", gUniform(4), gUniform(4, 2), nodes.MatMul),
		gBi("MatMul/vv", gUniform(4), gUniform(4), nodes.MatMul),
		gBi("MatMul/f32", gF32(2, 3), gF32(3, 2), nodes.MatMul),
		gBi("MatMul/i64", gInts(2, 3), gInts(3), nodes.MatMul),
		gBi("Outer", gUniform(3), gUniform(4), nodes.Outer),
	} {
		gradRun(t, c)
	}
}

// The batched product in every transpose and alpha form, with size-1 batch
// dims repeated on either side and with batch permutations.
func TestGradBatchMatMul(t *testing.T) {
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			sa, sb := []int{3, 4}, []int{4, 2}
			if ta {
				sa = []int{4, 3}
			}
			if tb {
				sb = []int{2, 4}
			}
			op := func(alpha float64, pa, pb []int) func(x, y *graph.Node) *graph.Node {
				return func(x, y *graph.Node) *graph.Node {
					return graph.Apply(&nodes.BatchMatMulOp{TransA: ta, TransB: tb, Alpha: alpha, PermA: pa, PermB: pb}, x, y)
				}
			}
			name := fmt.Sprintf("transA=%v/transB=%v", ta, tb)
			for _, c := range []gradCase{
				gBi(name+"/nb0", gUniform(sa...), gUniform(sb...), op(0, nil, nil)),
				gBi(name+"/nb1", gUniform(append([]int{2}, sa...)...), gUniform(append([]int{2}, sb...)...), op(0, nil, nil)),
				gBi(name+"/alpha", gUniform(append([]int{2}, sa...)...), gUniform(append([]int{2}, sb...)...), op(-0.5, nil, nil)),
				gBi(name+"/repeat-a", gUniform(append([]int{2, 1}, sa...)...), gUniform(append([]int{2, 3}, sb...)...), op(0, nil, nil)),
				gBi(name+"/repeat-b", gUniform(append([]int{1, 3}, sa...)...), gUniform(append([]int{2, 3}, sb...)...), op(0, nil, nil)),
				gBi(name+"/perm", gUniform(append([]int{3, 2}, sa...)...), gUniform(append([]int{2, 3}, sb...)...), op(2, []int{1, 0}, nil)),
				gBi(name+"/perm-b", gUniform(append([]int{2, 3}, sa...)...), gUniform(append([]int{3, 1}, sb...)...), op(0, nil, []int{1, 0})),
			} {
				gradRun(t, c)
			}
		}
	}
}

func TestGradSolve(t *testing.T) {
	solve := func(nb int) func(x, y *graph.Node) *graph.Node {
		return func(x, y *graph.Node) *graph.Node { return graph.Apply(&nodes.SolveOp{NB: nb}, x, y) }
	}
	inv := func(nb int) func(x *graph.Node) *graph.Node {
		return func(x *graph.Node) *graph.Node { return graph.Apply(&nodes.InvOp{NB: nb}, x) }
	}
	chol := func(nb int) func(x *graph.Node) *graph.Node {
		return func(x *graph.Node) *graph.Node { return graph.Apply(&nodes.CholeskyOp{NB: nb}, x) }
	}
	for _, c := range []gradCase{
		gBi("Solve/vec", gWell(4), gUniform(4), nodes.Solve),
		gBi("Solve/mat", gWell(3), gUniform(3, 2), nodes.Solve),
		gBi("Solve/nb1/vec", gWell(3, 2), gUniform(2, 3), solve(1)),
		gBi("Solve/nb1/mat", gWell(3, 2), gUniform(2, 3, 2), solve(1)),
		gBi("Solve/nb2/repeat-A", gWell(3, 2, 1), gUniform(2, 3, 3), solve(2)),
		gBi("Solve/nb1/repeat-b", gWell(3, 2), gUniform(1, 3, 2), solve(1)),
		gUn("Inv", gWell(3), nodes.Inv),
		gUn("Inv/nb1", gWell(3, 2), inv(1)),
		gUn("Cholesky", gSPD(4), nodes.Cholesky),
		gUn("Cholesky/nb1", gSPD(3, 2), chol(1)),
		gUn("Cholesky/1x1", gSPD(1), nodes.Cholesky),
	} {
		gradRun(t, c)
	}
}

func TestGradEinsum(t *testing.T) {
	es := func(spec string) func(x ...*graph.Node) *graph.Node {
		return func(x ...*graph.Node) *graph.Node { return nodes.Einsum(spec, x...) }
	}
	for _, c := range []gradCase{
		{"matmul", []gGen{gUniform(2, 3), gUniform(3, 4)}, es("ij,jk->ik")},
		{"batched", []gGen{gUniform(2, 2, 3), gUniform(2, 3, 4)}, es("bij,bjk->bik")},
		{"diag", []gGen{gUniform(3, 3)}, es("ii->i")},
		{"trace", []gGen{gUniform(3, 3)}, es("ii->")},
		{"sum", []gGen{gUniform(2, 3)}, es("ij->")},
		{"rowsum", []gGen{gUniform(2, 3)}, es("ij->i")},
		{"transpose", []gGen{gUniform(2, 3)}, es("ij->ji")},
		{"dot", []gGen{gUniform(3), gUniform(3)}, es("i,i->")},
		{"outer", []gGen{gUniform(3), gUniform(2)}, es("i,j->ij")},
		{"three", []gGen{gUniform(2, 3), gUniform(3, 4), gUniform(2, 4)}, es("kl,ln,km->kn")},
		{"diag-mixed", []gGen{gUniform(3, 3, 2), gUniform(2)}, es("iij,j->i")},
		{"diag3", []gGen{gUniform(2, 2, 2)}, es("iii->i")},
	} {
		gradRun(t, c)
	}
}
