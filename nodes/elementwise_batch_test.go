package nodes_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// bN is the loop length the batching tests use (distinct from every
// per-example dim, so a misplaced batch dim shows).
const bN = 4

// bVal is a value of per-example shape per with a loop axis of length bN
// inserted at dim bd (-1: shared, per itself). Bool values mix true and
// false; int64 ones are small integers with repeats.
func bVal(dt tensor.Dtype, per []int, bd int, seed float64, pos bool) *tensor.Dense {
	shape := slices.Clone(per)
	if bd >= 0 {
		shape = slices.Insert(shape, bd, bN)
	}
	v := ewData(dense.Size(shape), seed, pos)
	if dt == tensor.Bool {
		for k := range v {
			v[k] = ewB(math.Sin(3*seed+float64(k)) > 0)
		}
	}
	return dense.FromF64(dt, shape, v)
}

// bCombos lists every assignment of batch dims to operands of per-example
// ranks ranks (-1 or 0..rank) with at least one operand batched.
func bCombos(ranks ...int) [][]int {
	out := [][]int{{}}
	for _, r := range ranks {
		var next [][]int
		for _, c := range out {
			for d := -1; d <= r; d++ {
				next = append(next, append(slices.Clone(c), d))
			}
		}
		out = next
	}
	return slices.DeleteFunc(out, func(c []int) bool {
		return !slices.ContainsFunc(c, func(d int) bool { return d >= 0 })
	})
}

// bTrace applies build's op's batch rule to batched inputs of the given
// shapes and returns the names of the ops it built and the result's batch
// dim.
func bTrace(t *testing.T, build func(x ...*graph.Node) *graph.Node, vals []*tensor.Dense, bdims []int) ([]string, int) {
	t.Helper()
	g0, g := graph.New(), graph.New()
	xs0, xs := make([]*graph.Node, len(vals)), make([]*graph.Node, len(vals))
	for k, v := range vals {
		per := dense.Shape(v)
		if bdims[k] >= 0 {
			per = slices.Delete(per, bdims[k], bdims[k]+1)
		}
		xs0[k] = g0.Input(fmt.Sprint("x", k), v.Dtype(), per...)
		xs[k] = g.Input(fmt.Sprint("x", k), v.Dtype(), dense.Shape(v)...)
	}
	y0 := build(xs0...)
	require.NoError(t, g0.Err())
	out, obd, err := y0.Op().Batch(xs, bdims)
	require.NoError(t, err)
	var names []string
	seen := map[*graph.Node]bool{}
	var walk func(n *graph.Node)
	walk = func(n *graph.Node) {
		if seen[n] || slices.Contains(xs, n) {
			return
		}
		seen[n] = true
		names = append(names, n.Op().Name())
		for _, x := range n.Inputs() {
			walk(x)
		}
	}
	walk(out)
	return names, obd
}

func bBinary(k nodes.BinaryKind, bcast bool) func(x ...*graph.Node) *graph.Node {
	return func(x ...*graph.Node) *graph.Node {
		return graph.Apply(&nodes.Binary{Kind: k, Bcast: bcast}, x[0], x[1])
	}
}

func TestBinaryBatch(t *testing.T) {
	kinds := []nodes.BinaryKind{nodes.BinAdd, nodes.BinSub, nodes.BinMul, nodes.BinDiv, nodes.BinMaximum,
		nodes.BinMinimum, nodes.BinPow, nodes.BinLess, nodes.BinGreater, nodes.BinEqual}
	// Per-example shapes the user-facing rule allows, then Bcast ones.
	plain := [][2][]int{{{2, 3}, {2, 3}}, {{}, {2, 3}}, {{2, 3}, {}}, {{}, {}}, {{3}, {3}}}
	bcast := [][2][]int{{{3}, {2, 3}}, {{2, 3}, {3}}, {{}, {2, 3}}, {{2, 3}, {2, 3}}, {{3}, {2, 2, 3}}, {{2, 2, 3}, {2, 3}}}
	for _, k := range kinds {
		dts := []tensor.Dtype{tensor.Float64, tensor.Float32}
		switch k {
		case nodes.BinDiv, nodes.BinPow:
		case nodes.BinEqual:
			dts = append(dts, tensor.Int64, tensor.Bool)
		default:
			dts = append(dts, tensor.Int64)
		}
		for _, dt := range dts {
			for _, bc := range []bool{false, true} {
				shapes := plain
				if bc {
					shapes = bcast
				}
				for _, sh := range shapes {
					t.Run(fmt.Sprintf("%v/%s/bcast=%v/%v_%v", k, graph.DTypeName(dt), bc, sh[0], sh[1]), func(t *testing.T) {
						for _, bd := range bCombos(len(sh[0]), len(sh[1])) {
							a := bVal(dt, sh[0], bd[0], 0.3, k == nodes.BinPow)
							b := bVal(dt, sh[1], bd[1], 1.1, false)
							checkBatch(t, bBinary(k, bc), []*tensor.Dense{a, b}, bd)
						}
					})
				}
			}
		}
	}
}

// TestBinaryBatchNested checks the rule on the batched primitives it
// produces (Binary with Bcast), as lowering a second loop axis does.
func TestBinaryBatchNested(t *testing.T) {
	// The batched primitives are Binary ops with Bcast; check their rule on
	// values batched once more.
	for _, sh := range [][2][]int{{{4}, {3, 4}}, {{3, 4}, {}}, {{4}, {4}}} {
		for _, bd := range bCombos(len(sh[0]), len(sh[1])) {
			for _, k := range []nodes.BinaryKind{nodes.BinSub, nodes.BinLess} {
				a, b := bVal(tensor.Float32, sh[0], bd[0], 0.5, false), bVal(tensor.Float32, sh[1], bd[1], 0.9, false)
				checkBatch(t, bBinary(k, true), []*tensor.Dense{a, b}, bd)
			}
		}
	}
}

// TestBinaryBatchForms checks what each rule builds: no transpose or
// broadcast where the batch dims already line up, and a shared operand is
// never expanded.
func TestBinaryBatchForms(t *testing.T) {
	f := tensor.Float64
	for _, c := range []struct {
		per   [2][]int
		bd    []int
		bcast bool
		ops   []string
		obd   int
	}{
		{[2][]int{{2, 3}, {2, 3}}, []int{1, 1}, false, []string{"Sub"}, 1},
		{[2][]int{{2, 3}, {2, 3}}, []int{2, 0}, false, []string{"Sub", "Transpose"}, 2},
		{[2][]int{{}, {2, 3}}, []int{-1, 2}, false, []string{"Sub"}, 2},
		{[2][]int{{2, 3}, {2, 3}}, []int{0, -1}, false, []string{"Sub"}, 0},
		{[2][]int{{2, 3}, {2, 3}}, []int{-1, 1}, false, []string{"Sub", "Transpose"}, 0},
		{[2][]int{{}, {2, 3}}, []int{0, 2}, false, []string{"Sub"}, 2},
		{[2][]int{{2, 3}, {}}, []int{0, 0}, false, []string{"Sub", "Broadcast"}, 0},
		{[2][]int{{2, 3}, {}}, []int{1, 0}, false, []string{"Sub", "Broadcast"}, 1},
		{[2][]int{{2, 3}, {3}}, []int{0, 0}, true, []string{"Sub", "Broadcast"}, 0},
		{[2][]int{{3}, {2, 3}}, []int{-1, 1}, true, []string{"Sub"}, 1},
		{[2][]int{{3}, {2, 3}}, []int{1, 2}, true, []string{"Sub"}, 2},
		{[2][]int{{2, 3}, {3}}, []int{-1, 0}, true, []string{"Sub", "Broadcast"}, 0},
		{[2][]int{{}, {3}}, []int{0, -1}, false, []string{"Sub", "Broadcast"}, 0},
	} {
		vals := []*tensor.Dense{bVal(f, c.per[0], c.bd[0], 0.1, false), bVal(f, c.per[1], c.bd[1], 0.2, false)}
		names, obd := bTrace(t, bBinary(nodes.BinSub, c.bcast), vals, c.bd)
		assert.ElementsMatch(t, c.ops, names, "%v bdims %v", c.per, c.bd)
		assert.Equal(t, c.obd, obd, "%v bdims %v", c.per, c.bd)
		checkBatch(t, bBinary(nodes.BinSub, c.bcast), vals, c.bd)
	}
}

func TestBinaryBcastInfer(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	v := g.Input("v", tensor.Float64, 3)
	apply := func(a, b *graph.Node) *graph.Node {
		return graph.Apply(&nodes.Binary{Kind: nodes.BinSub, Bcast: true}, a, b)
	}
	for _, c := range []struct {
		a, b  *graph.Node
		shape []int
	}{{x, v, []int{2, 3}}, {v, x, []int{2, 3}}, {x, x, []int{2, 3}}, {g.Scalar(1, tensor.Float64), x, []int{2, 3}}, {v, v, []int{3}}} {
		y := apply(c.a, c.b)
		require.NoError(t, g.Err())
		assert.Equal(t, c.shape, y.Shape())
	}
	got := evalRef(t, nil, apply(g.Const(f64s([]int{2, 2}, 1, 2, 3, 4)), g.Const(f64s([]int{2}, 10, 20))),
		apply(g.Const(f64s([]int{2}, 10, 20)), g.Const(f64s([]int{2, 2}, 1, 2, 3, 4))),
		graph.Apply(&nodes.Binary{Kind: nodes.BinLess, Bcast: true}, g.Const(f64s([]int{2}, 2, 3)), g.Const(f64s([]int{2, 2}, 1, 4, 3, 2))))
	assert.Equal(t, []float64{-9, -18, -7, -16}, got[0].Float64s())
	assert.Equal(t, []float64{9, 18, 7, 16}, got[1].Float64s())
	assert.Equal(t, []bool{false, true, true, false}, got[2].Bools())
	assert.Equal(t, "bcast", (&nodes.Binary{Bcast: true}).Attrs())
	assert.Empty(t, (&nodes.Binary{}).Attrs())

	for _, sh := range [][2][]int{{{2, 3}, {2}}, {{2, 3}, {1, 3}}, {{3, 2}, {2, 3}}, {{1}, {3}}} {
		g := graph.New()
		a, b := g.Input("a", tensor.Float64, sh[0]...), g.Input("b", tensor.Float64, sh[1]...)
		_, line := graph.Apply(&nodes.Binary{Kind: nodes.BinSub, Bcast: true}, a, b), ewLine()
		ewErrAt(t, g, "elementwise_batch_test.go", line, "Sub", "neither is a trailing suffix")
	}
	// The user-facing builders keep rule 1.
	g = graph.New()
	_, line := nodes.Sub(g.Input("a", tensor.Float64, 2, 3), g.Input("b", tensor.Float64, 3)), ewLine()
	ewErrAt(t, g, "elementwise_batch_test.go", line, "Sub", "shapes differ")

	// Bad feeds under Bcast are run-time errors.
	g = graph.New()
	a, b := g.Input("a", tensor.Float64, 2, 3), g.Input("b", tensor.Float64, 3)
	y := apply(a, b)
	_, err := tryEval(map[*graph.Node]*tensor.Dense{a: f64s([]int{2, 2}, 1, 2, 3, 4), b: f64s([]int{3}, 1, 2, 3)}, y)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "trailing suffix")
}

func TestWhereBatch(t *testing.T) {
	where := func(x ...*graph.Node) *graph.Node { return nodes.Where(x[0], x[1], x[2]) }
	shapes := [][3][]int{{{2, 3}, {2, 3}, {2, 3}}, {{}, {2, 3}, {}}, {{2, 3}, {}, {2, 3}}, {{}, {}, {2, 3}}, {{}, {}, {}}, {{3}, {}, {}}}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64, tensor.Bool} {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("%s/%v", graph.DTypeName(dt), sh), func(t *testing.T) {
				for _, bd := range bCombos(len(sh[0]), len(sh[1]), len(sh[2])) {
					vals := []*tensor.Dense{bVal(tensor.Bool, sh[0], bd[0], 0.2, false),
						bVal(dt, sh[1], bd[1], 0.6, false), bVal(dt, sh[2], bd[2], 1.3, false)}
					checkBatch(t, where, vals, bd)
				}
			})
		}
	}
	// A batched full-shaped operand keeps its batch dim; shared scalars stay.
	f := tensor.Float64
	names, obd := bTrace(t, where, []*tensor.Dense{bVal(tensor.Bool, []int{2, 3}, 2, 0.2, false),
		bVal(f, nil, -1, 0.1, false), bVal(f, []int{2, 3}, 2, 0.3, false)}, []int{2, -1, 2})
	assert.Equal(t, []string{"Where"}, names)
	assert.Equal(t, 2, obd)
}
