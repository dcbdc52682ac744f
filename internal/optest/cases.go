package optest

import (
	"math/rand"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Arg describes one per-example operand of a case.
type Arg struct {
	DType tensor.Dtype
	Shape []int
	Gen   func(r *rand.Rand, shape []int) []float64 // nil: uniform in [-1, 1)
}

// Case is one op applied to per-example operands.
type Case struct {
	Name  string
	Args  []Arg
	Build func(x ...*graph.Node) *graph.Node
}

func f64(shape ...int) Arg { return Arg{DType: tensor.Float64, Shape: shape} }
func f32(shape ...int) Arg { return Arg{DType: tensor.Float32, Shape: shape} }
func pos(a Arg) Arg        { a.Gen = positive; return a }
func spd(a Arg) Arg        { a.Gen = spdGen; return a }
func wellCond(a Arg) Arg   { a.Gen = diagDominant; return a }
func boolean(shape ...int) Arg {
	return Arg{DType: tensor.Bool, Shape: shape, Gen: func(r *rand.Rand, s []int) []float64 { return coin(r, s) }}
}
func idx(n int) Arg {
	return Arg{DType: tensor.Int64, Gen: func(r *rand.Rand, _ []int) []float64 { return []float64{float64(r.Intn(n))} }}
}
func ints(shape ...int) Arg {
	return Arg{DType: tensor.Int64, Shape: shape, Gen: func(r *rand.Rand, s []int) []float64 {
		v := make([]float64, dense.Size(s))
		for k := range v {
			v[k] = float64(r.Intn(11) - 5)
		}
		return v
	}}
}

func un(name string, a Arg, f func(*graph.Node) *graph.Node) Case {
	return Case{name, []Arg{a}, func(x ...*graph.Node) *graph.Node { return f(x[0]) }}
}

func bin(name string, a, b Arg, f func(x, y *graph.Node) *graph.Node) Case {
	return Case{name, []Arg{a, b}, func(x ...*graph.Node) *graph.Node { return f(x[0], x[1]) }}
}

// Cases is every op of the API at natural rank.
func Cases() []Case {
	cs := []Case{
		bin("Add", f64(3, 4), f64(3, 4), nodes.Add),
		bin("Add/scalar", f64(), f64(3, 4), nodes.Add),
		bin("Add/f32", f32(3, 4), f32(3, 4), nodes.Add),
		bin("Add/i64", ints(3), ints(3), nodes.Add),
		bin("Sub", f64(3, 4), f64(), nodes.Sub),
		bin("Mul", f64(2, 3), f64(2, 3), nodes.Mul),
		bin("Div", f64(2, 3), pos(f64(2, 3)), nodes.Div),
		bin("Maximum", f64(5), f64(5), nodes.Maximum),
		bin("Minimum", f32(5), f32(5), nodes.Minimum),
		bin("Pow", pos(f64(4)), f64(4), nodes.Pow),
		bin("Less", f64(4), f64(4), nodes.Less),
		bin("Greater", f32(2, 2), f32(), nodes.Greater),
		bin("Equal", ints(6), ints(6), nodes.Equal),
		{"Where", []Arg{boolean(3, 2), f64(3, 2), f64(3, 2)}, func(x ...*graph.Node) *graph.Node { return nodes.Where(x[0], x[1], x[2]) }},
		un("Neg", f64(3), nodes.Neg),
		un("Exp", f64(2, 3), nodes.Exp),
		un("Exp/f32", f32(7), nodes.Exp),
		un("Log", pos(f64(2, 3)), nodes.Log),
		un("Sqrt", pos(f64(4)), nodes.Sqrt),
		un("Tanh", f64(4), nodes.Tanh),
		un("Sigmoid", f32(4), nodes.Sigmoid),
		un("Relu", f64(6), nodes.Relu),
		un("Abs", f64(6), nodes.Abs),
		un("Scale", f64(2, 2), func(x *graph.Node) *graph.Node { return nodes.Scale(x, 2.5) }),
		un("Offset", f64(2, 2), func(x *graph.Node) *graph.Node { return nodes.Offset(x, -1) }),
		un("Cast/f32", f64(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Float32) }),
		un("Cast/i64", ints(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Float64) }),
		un("Cast/bool", boolean(3), func(x *graph.Node) *graph.Node { return nodes.Cast(x, tensor.Float64) }),
		un("Sum", f64(3, 4), nodes.Sum),
		un("Sum/i64", ints(5), nodes.Sum),
		un("Mean", f32(3, 4), nodes.Mean),
		un("Max", f64(3, 4), nodes.Max),
		un("Min", f64(7), nodes.Min),
		un("LogSumExp", f64(3, 4), nodes.LogSumExp),
		un("Softmax", f64(5), nodes.Softmax),
		un("Softmax/f32", f32(6), nodes.Softmax),
		un("LogSoftmax", f64(5), nodes.LogSoftmax),
		bin("MatMul/mm", f64(3, 4), f64(4, 2), nodes.MatMul),
		bin("MatMul/mv", f64(3, 4), f64(4), nodes.MatMul),
		bin("MatMul/vm", f32(4), f32(4, 2), nodes.MatMul),
		bin("MatMul/vv", f64(4), f64(4), nodes.MatMul),
		un("T", f64(3, 4), nodes.T),
		bin("Outer", f64(3), f64(4), nodes.Outer),
		bin("Solve/vec", wellCond(f64(4, 4)), f64(4), nodes.Solve),
		bin("Solve/mat", wellCond(f64(3, 3)), f64(3, 2), nodes.Solve),
		un("Inv", wellCond(f64(3, 3)), nodes.Inv),
		un("Cholesky", spd(f64(4, 4)), nodes.Cholesky),
		bin("Einsum/matmul", f64(2, 3), f64(3, 4), func(a, b *graph.Node) *graph.Node { return nodes.Einsum("ij,jk->ik", a, b) }),
		un("Einsum/diag", f64(3, 3), func(a *graph.Node) *graph.Node { return nodes.Einsum("ii->i", a) }),
		un("Einsum/sum", f64(3, 3), func(a *graph.Node) *graph.Node { return nodes.Einsum("ij->", a) }),
		un("Ravel", f64(2, 3), nodes.Ravel),
		un("Reshape", f64(2, 6), func(x *graph.Node) *graph.Node { return nodes.Reshape(x, 3, -1) }),
		bin("Concat", f64(2), f64(3), func(a, b *graph.Node) *graph.Node { return nodes.Concat(a, b) }),
		bin("Stack", f64(2, 3), f64(2, 3), func(a, b *graph.Node) *graph.Node { return nodes.Stack(a, b) }),
		un("Transpose", f64(2, 3, 4), func(x *graph.Node) *graph.Node { return nodes.Transpose(x, 2, 0, 1) }),
		un("At/int", f64(3, 4), func(x *graph.Node) *graph.Node { return x.At(1, graph.All) }),
		un("At/span", f64(3, 6), func(x *graph.Node) *graph.Node { return x.At(graph.All, graph.Span(1, 6, 2)) }),
		bin("At/gather", f64(5, 3), idx(5), func(x, i *graph.Node) *graph.Node { return x.At(i, graph.All) }),
		bin("At/gather-last", f64(3, 5), idx(5), func(x, i *graph.Node) *graph.Node { return x.At(graph.Span(0, 3, 2), i) }),
		{"Chain", []Arg{f64(4, 3), f64(3)}, func(x ...*graph.Node) *graph.Node {
			return nodes.Softmax(nodes.Tanh(nodes.MatMul(x[0], x[1])))
		}},
	}
	return cs
}

func positive(r *rand.Rand, s []int) []float64 {
	v := make([]float64, dense.Size(s))
	for k := range v {
		v[k] = 0.1 + 2*r.Float64()
	}
	return v
}

func coin(r *rand.Rand, s []int) []float64 {
	v := make([]float64, dense.Size(s))
	for k := range v {
		v[k] = float64(r.Intn(2))
	}
	return v
}

func uniform(r *rand.Rand, s []int) []float64 {
	v := make([]float64, dense.Size(s))
	for k := range v {
		v[k] = 2*r.Float64() - 1
	}
	return v
}

// diagDominant makes a well-conditioned square matrix (trailing two dims).
func diagDominant(r *rand.Rand, s []int) []float64 {
	v := uniform(r, s)
	n := s[len(s)-1]
	for k := 0; k < len(v); k += n * n {
		for i := 0; i < n; i++ {
			v[k+i*n+i] += float64(n) + 1
		}
	}
	return v
}

// spdGen makes a symmetric positive definite matrix: M·Mᵀ + n·I.
func spdGen(r *rand.Rand, s []int) []float64 {
	n := s[len(s)-1]
	m := uniform(r, []int{n, n})
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k := 0; k < n; k++ {
				v[i*n+j] += m[i*n+k] * m[j*n+k]
			}
		}
		v[i*n+i] += float64(n)
	}
	return v
}

// Value makes a random value for a, with extra leading dims (a batch) if any:
// each example is generated on its own, so per-example properties hold.
func (a Arg) Value(r *rand.Rand, batch ...int) *tensor.Dense {
	shape := append(append([]int{}, batch...), a.Shape...)
	gen := a.Gen
	if gen == nil {
		gen = uniform
	}
	var data []float64
	if len(batch) == 0 {
		data = gen(r, shape)
	} else {
		per := dense.Size(a.Shape)
		for b := 0; b < dense.Size(batch); b++ {
			data = append(data, gen(r, a.Shape)[:per]...)
		}
	}
	return dense.FromF64(a.DType, shape, data)
}
