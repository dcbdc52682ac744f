package cuda

import (
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Batched products reach cuBLAS two ways: a batch cuBLAS can walk with one
// stride per operand (batch dims merged, a shared operand at stride 0) as
// one strided batch, anything else (here a permuted batch) through device
// arrays of matrix pointers. Both on the emulated GPU against the
// reference interpreter, and each planned the way it should be.
func TestEmuBatchedGemmPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	e := newEngine(newEmu(t))
	r := rand.New(rand.NewSource(3))
	for _, c := range []struct {
		name    string
		a, b    []int
		op      *nodes.BatchMatMulOp
		strided bool
	}{
		{"merged", []int{2, 3, 4, 5}, []int{2, 3, 5, 6}, &nodes.BatchMatMulOp{}, true},
		{"shared-b", []int{2, 3, 4, 5}, []int{1, 1, 5, 6}, &nodes.BatchMatMulOp{}, true},
		{"transposed-scaled", []int{6, 5, 4}, []int{6, 6, 5}, &nodes.BatchMatMulOp{TransA: true, TransB: true, Alpha: 0.5}, true},
		{"permuted", []int{3, 2, 4, 5}, []int{2, 3, 5, 6}, &nodes.BatchMatMulOp{PermA: []int{1, 0}}, false},
	} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				g := graph.New()
				a, b := g.Input("a", dt, c.a...), g.Input("b", dt, c.b...)
				y := graph.Apply(c.op, a, b)
				if err := g.Err(); err != nil {
					t.Fatal(err)
				}
				gp, err := planGemm(c.op, a, b, y.Shape())
				if err != nil {
					t.Fatal(err)
				}
				if strided := gp.src == ""; strided != c.strided {
					t.Fatalf("strided batch = %v, want %v (batch dims %v)", strided, c.strided, gp.ptrs.shape)
				}
				feeds := map[*graph.Node]*tensor.Dense{a: rnd(r, dt, c.a...), b: rnd(r, dt, c.b...)}
				want := map[*graph.Node]*tensor.Dense{a: feeds[a], b: feeds[b]}
				if err := graph.Interpret([]*graph.Node{y}, want); err != nil {
					t.Fatal(err)
				}
				order := graph.Needed([]*graph.Node{y})
				be := newBackend(e)
				if err := be.Prepare(order, []*graph.Node{y}); err != nil {
					t.Fatal(err)
				}
				if err := be.Run(order, []*graph.Node{y}, feeds); err != nil {
					t.Fatal(err)
				}
				near(t, c.name, feeds[y], want[y], 1e-5)
			})
		}
	}
}
