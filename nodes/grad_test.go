package nodes_test

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

func gUn(name string, a gGen, f func(*graph.Node) *graph.Node) gradCase {
	return gradCase{name, []gGen{a}, func(x ...*graph.Node) *graph.Node { return f(x[0]) }}
}

func gBi(name string, a, b gGen, f func(x, y *graph.Node) *graph.Node) gradCase {
	return gradCase{name, []gGen{a, b}, func(x ...*graph.Node) *graph.Node { return f(x[0], x[1]) }}
}

// bcast applies a binary kind in its trailing-broadcast form.
func gBcast(k nodes.BinaryKind) func(x, y *graph.Node) *graph.Node {
	return func(x, y *graph.Node) *graph.Node { return graph.Apply(&nodes.Binary{Kind: k, Bcast: true}, x, y) }
}

func gRed(k nodes.ReduceKind, axes ...int) func(*graph.Node) *graph.Node {
	return func(x *graph.Node) *graph.Node { return graph.Apply(&nodes.Reduce{Kind: k, Axes: axes}, x) }
}

func TestGradUnary(t *testing.T) {
	for _, c := range []gradCase{
		gUn("Neg", gUniform(2, 3), nodes.Neg),
		gUn("Exp", gUniform(2, 3), nodes.Exp),
		gUn("Log", gPos(4), nodes.Log),
		gUn("Sqrt", gPos(2, 2), nodes.Sqrt),
		gUn("Tanh", gUniform(5), nodes.Tanh),
		gUn("Sigmoid", gUniform(5), nodes.Sigmoid),
		gUn("Relu", gAway(2, 3), nodes.Relu),
		gUn("Abs", gAway(2, 3), nodes.Abs),
		gUn("Scale", gUniform(3), func(x *graph.Node) *graph.Node { return nodes.Scale(x, -2.5) }),
		gUn("Offset", gUniform(3), func(x *graph.Node) *graph.Node { return nodes.Offset(x, 4) }),
		gUn("Exp/scalar", gUniform(), nodes.Exp),
		gUn("Exp/f32", gF32(4), nodes.Exp),
		gUn("Relu/i64", gInts(4), nodes.Relu),
		gUn("Cast/f32", gF32(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Float64) }),
		gUn("Cast/i64", gInts(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Float64) }),
		gUn("Cast/to-i64", gUniform(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Int64) }),
	} {
		gradRun(t, c)
	}
}

func TestGradBinary(t *testing.T) {
	var cs []gradCase
	for _, k := range []struct {
		name string
		f    func(x, y *graph.Node) *graph.Node
		kind nodes.BinaryKind
		b    func(shape ...int) gGen
	}{
		{"Add", nodes.Add, nodes.BinAdd, gUniform},
		{"Sub", nodes.Sub, nodes.BinSub, gUniform},
		{"Mul", nodes.Mul, nodes.BinMul, gUniform},
		{"Div", nodes.Div, nodes.BinDiv, gPos},
		{"Maximum", nodes.Maximum, nodes.BinMaximum, gUniform},
		{"Minimum", nodes.Minimum, nodes.BinMinimum, gUniform},
	} {
		cs = append(cs,
			gBi(k.name, gUniform(2, 3), k.b(2, 3), k.f),
			gBi(k.name+"/scalar-a", gUniform(), k.b(2, 3), k.f),
			gBi(k.name+"/scalar-b", gUniform(4), k.b(), k.f),
			gBi(k.name+"/scalars", gUniform(), k.b(), k.f),
			gBi(k.name+"/bcast-b", gUniform(2, 3), k.b(3), gBcast(k.kind)),
			gBi(k.name+"/bcast-a", gUniform(3), k.b(4, 2, 3), gBcast(k.kind)),
			gBi(k.name+"/bcast-scalar", gUniform(), k.b(2, 3), gBcast(k.kind)),
		)
	}
	cs = append(cs,
		gBi("Pow", gPos(2, 3), gUniform(2, 3), nodes.Pow),
		gBi("Pow/scalar-b", gPos(4), gUniform(), nodes.Pow),
		gBi("Pow/bcast", gPos(3), gUniform(2, 3), gBcast(nodes.BinPow)),
		gBi("Less", gUniform(3), gUniform(3), nodes.Less),
		gBi("Add/i64", gInts(3), gInts(3), nodes.Add),
		gBi("Mul/f32", gF32(2, 2), gF32(2, 2), nodes.Mul),
		gradCase{"Where", []gGen{gBools(3, 2), gUniform(3, 2), gUniform(3, 2)}, func(x ...*graph.Node) *graph.Node { return nodes.Where(x[0], x[1], x[2]) }},
		gradCase{"Where/scalar-a", []gGen{gBools(4), gUniform(), gUniform(4)}, func(x ...*graph.Node) *graph.Node { return nodes.Where(x[0], x[1], x[2]) }},
		gradCase{"Where/scalar-cond", []gGen{gBools(), gUniform(4), gUniform(4)}, func(x ...*graph.Node) *graph.Node { return nodes.Where(x[0], x[1], x[2]) }},
	)
	for _, c := range cs {
		gradRun(t, c)
	}
}

func gBools(shape ...int) gGen {
	return func(r *rand.Rand) *tensor.Dense {
		v := make([]bool, dense.Size(shape))
		for k := range v {
			v[k] = r.Intn(2) == 0
		}
		return dense.FromBools(shape, v)
	}
}

// Ties and kinks are where finite differences cannot check a rule; their
// documented choices are checked directly.
func TestGradTies(t *testing.T) {
	g := graph.New()
	a := g.Input("a", tensor.Float64, 3)
	b := g.Input("b", tensor.Float64, 3)
	ct := g.Input("ct", tensor.Float64, 3)
	feeds := map[*graph.Node]*tensor.Dense{
		a:  f64s([]int{3}, 1, 2, 0),
		b:  f64s([]int{3}, 1, 3, -1),
		ct: f64s([]int{3}, 4, 8, 16),
	}
	vjp := func(y, ct *graph.Node) []*graph.Node {
		gs, err := y.Op().VJP(y.Inputs(), y, ct)
		require.NoError(t, err)
		return gs
	}
	mx := vjp(nodes.Maximum(a, b), ct)
	mn := vjp(nodes.Minimum(a, b), ct)
	relu := vjp(nodes.Relu(a), ct)[0]
	abs := vjp(nodes.Abs(b), ct)[0]
	s := g.Input("s", tensor.Float64)
	feeds[s] = f64s(nil, 10)
	top := vjp(nodes.Max(nodes.Add(a, a)), s)[0] // max 4 at a=2: one winner
	tied := vjp(nodes.Max(g.Const(f64s([]int{4}, 1, 5, 5, 2))), s)[0]
	got := evalRef(t, feeds, mx[0], mx[1], mn[0], mn[1], relu, abs, top, tied)
	for k, want := range [][]float64{
		{2, 0, 16}, {2, 8, 0}, // Maximum: a tie splits in half
		{2, 8, 0}, {2, 0, 16}, // Minimum
		{4, 8, 0},    // Relu'(0) = 0
		{4, 8, -16},  // Abs at 1, 3, -1
		{0, 10, 0},   // Max of 2a: all at the one largest
		{0, 5, 5, 0}, // Max tie: split equally
	} {
		require.Equal(t, want, dense.F64(got[k]), "result %d", k)
	}
}

func TestGradReduce(t *testing.T) {
	for _, k := range []nodes.ReduceKind{nodes.RedSum, nodes.RedMean, nodes.RedMax, nodes.RedMin, nodes.RedLogSumExp} {
		for _, axes := range [][]int{nil, {0, 2}, {1}, {}} {
			gradRun(t, gUn(fmt.Sprintf("%v/axes%v", k, axes), gUniform(2, 3, 4), gRed(k, axes...)))
		}
	}
	gradRun(t, gUn("Sum/i64", gInts(5), nodes.Sum))
	gradRun(t, gUn("Mean/f32", gF32(2, 3), nodes.Mean))
	gradRun(t, gUn("Sum/scalar", gUniform(), nodes.Sum))
}

func TestGradSoftmax(t *testing.T) {
	for _, c := range []gradCase{
		gUn("Softmax", gUniform(5), nodes.Softmax),
		gUn("LogSoftmax", gUniform(5), nodes.LogSoftmax),
		gUn("Softmax/f32", gF32(4), nodes.Softmax),
	} {
		gradRun(t, c)
	}
	for _, log := range []bool{false, true} {
		for axis := 0; axis < 3; axis++ {
			op := func(x *graph.Node) *graph.Node {
				return graph.Apply(&nodes.SoftmaxOp{Log: log, Batched: true, Axis: axis}, x)
			}
			gradRun(t, gUn(fmt.Sprintf("batched/log=%v/axis%d", log, axis), gUniform(2, 3, 4), op))
		}
	}
}

func TestGradShape(t *testing.T) {
	concat := func(axis int) func(x ...*graph.Node) *graph.Node {
		return func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.ConcatOp{Axis: axis}, x...) }
	}
	stack := func(axis int) func(x ...*graph.Node) *graph.Node {
		return func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.StackOp{Axis: axis}, x...) }
	}
	for _, c := range []gradCase{
		gUn("Ravel", gUniform(2, 3), nodes.Ravel),
		gUn("Reshape", gUniform(2, 6), func(x *graph.Node) *graph.Node { return nodes.Reshape(x, 3, -1) }),
		gUn("T", gUniform(2, 3), nodes.T),
		gUn("Transpose", gUniform(2, 3, 4), func(x *graph.Node) *graph.Node { return nodes.Transpose(x, 2, 0, 1) }),
		gradCase{"Concat", []gGen{gUniform(2), gUniform(3), gUniform(1)}, concat(0)},
		gradCase{"Concat/axis1", []gGen{gUniform(2, 1), gUniform(2, 3)}, concat(1)},
		gradCase{"Stack", []gGen{gUniform(2, 3), gUniform(2, 3)}, stack(0)},
		gradCase{"Stack/axis2", []gGen{gUniform(2, 3), gUniform(2, 3), gUniform(2, 3)}, stack(2)},
		gUn("Broadcast", gUniform(2, 3), func(x *graph.Node) *graph.Node {
			return graph.Apply(&nodes.BroadcastOp{Shape: []int{4, 2, 5, 3}, Dims: []int{1, 3}}, x)
		}),
		gUn("Broadcast/scalar", gUniform(), func(x *graph.Node) *graph.Node {
			return graph.Apply(&nodes.BroadcastOp{Shape: []int{2, 2}, Dims: []int{}}, x)
		}),
		gUn("Reshape/i64", gInts(2, 2), nodes.Ravel),
	} {
		gradRun(t, c)
	}
}

func TestGradCustom(t *testing.T) {
	infer := func(in []graph.Type) (graph.Type, error) { return in[0], nil }
	square := func(in []*tensor.Dense) (*tensor.Dense, error) {
		v := dense.F64(in[0])
		for k := range v {
			v[k] *= v[k]
		}
		return dense.FromF64(in[0].Dtype(), dense.Shape(in[0]), v), nil
	}
	vjp := func(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
		return []*graph.Node{nodes.Mul(ct, nodes.Scale(in[0], 2))}, nil
	}
	gradRun(t, gUn("CustomWithGrad", gUniform(3), func(x *graph.Node) *graph.Node {
		return nodes.CustomWithGrad("square", infer, square, vjp, x)
	}))

	g := graph.New()
	x := g.Input("x", tensor.Float64, 3)
	y := nodes.Custom("square", infer, square, x)
	_, err := y.Op().VJP(y.Inputs(), y, y)
	require.ErrorIs(t, err, graph.ErrNoGradient)
	require.ErrorContains(t, err, "square")

	bad := nodes.CustomWithGrad("twice", infer, square, func(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
		return []*graph.Node{ct, ct}, nil
	}, x)
	_, err = bad.Op().VJP(bad.Inputs(), bad, bad)
	require.ErrorContains(t, err, "2 cotangents for 1 operands")

	boom := nodes.CustomWithGrad("boom", infer, square, func([]*graph.Node, *graph.Node, *graph.Node) ([]*graph.Node, error) {
		panic("no")
	}, x)
	_, err = boom.Op().VJP(boom.Inputs(), boom, boom)
	require.ErrorContains(t, err, "panicked")
	require.False(t, errors.Is(err, graph.ErrNoGradient))

	nodes.CustomWithGrad("nil", infer, square, nil, x)
	require.ErrorContains(t, g.Err(), "nil shape rule, function or gradient rule")
}
