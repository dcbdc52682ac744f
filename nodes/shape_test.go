package nodes_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

var shDTypes = []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int64, tensor.Bool}

// shSeq is 1, 2, 3, ... (as 0/1 for bool, alternating) in dtype dt.
func shSeq(dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = float64(k + 1)
		if dt == tensor.Bool {
			v[k] = float64(k % 2)
		}
	}
	return dense.FromF64(dt, shape, v)
}

func TestRavelReshape(t *testing.T) {
	cases := []struct {
		name string
		in   []int
		dims []int // nil: Ravel
		out  []int
	}{
		{"ravel 2-D", []int{2, 3}, nil, []int{6}},
		{"ravel 3-D", []int{2, 1, 3}, nil, []int{6}},
		{"ravel scalar", []int{}, nil, []int{1}},
		{"ravel empty", []int{0, 3}, nil, []int{0}},
		{"reshape", []int{2, 6}, []int{3, 4}, []int{3, 4}},
		{"reshape -1 last", []int{2, 6}, []int{3, -1}, []int{3, 4}},
		{"reshape -1 first", []int{2, 6}, []int{-1, 2, 2}, []int{3, 2, 2}},
		{"reshape -1 alone", []int{2, 3}, []int{-1}, []int{6}},
		{"to scalar", []int{1, 1}, []int{}, []int{}},
		{"from scalar", []int{}, []int{1, 1}, []int{1, 1}},
		{"empty", []int{0, 3}, []int{3, 0}, []int{3, 0}},
		{"empty -1", []int{0, 3}, []int{-1, 3}, []int{0, 3}},
	}
	for _, dt := range shDTypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				g := graph.New()
				x := g.Input("x", dt, c.in...)
				var y *graph.Node
				if c.dims == nil {
					y = nodes.Ravel(x)
				} else {
					y = nodes.Reshape(x, c.dims...)
				}
				require.NoError(t, g.Err())
				assert.Equal(t, c.out, y.Shape())
				xv := shSeq(dt, c.in...)
				got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xv}, y)[0]
				laCheckType(t, y, got)
				assert.Equal(t, dense.F64(xv), dense.F64(got), "row-major order kept")
				assert.NotSame(t, xv, got)
			})
		}
	}
}

func TestReshapeAttrs(t *testing.T) {
	g := graph.New()
	y := nodes.Reshape(g.Input("x", tensor.Float32, 2, 6), 3, -1)
	assert.Contains(t, graph.Format(y), "Reshape([3 -1])")
	assert.Equal(t, "Reshape", y.Op().Name())
}

func TestConcat(t *testing.T) {
	for _, dt := range shDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			g := graph.New()
			a, b, c := g.Input("a", dt, 2), g.Input("b", dt, 3), g.Input("c", dt, 0)
			y := nodes.Concat(a, c, b)
			require.NoError(t, g.Err())
			assert.Equal(t, []int{5}, y.Shape())
			av, bv, cv := shSeq(dt, 2), dense.FromF64(dt, []int{3}, []float64{0, 7, 1}), shSeq(dt, 0)
			got := evalRef(t, map[*graph.Node]*tensor.Dense{a: av, b: bv, c: cv}, y)[0]
			laCheckType(t, y, got)
			want := append(dense.F64(av), dense.F64(bv)...)
			assert.Equal(t, want, dense.F64(got))

			one := nodes.Concat(a)
			got = evalRef(t, map[*graph.Node]*tensor.Dense{a: av}, one)[0]
			laCheckType(t, one, got)
			assert.Equal(t, dense.F64(av), dense.F64(got))
			assert.NotSame(t, av, got)
		})
	}
}

func TestStack(t *testing.T) {
	for _, dt := range shDTypes {
		for _, s := range [][]int{{2, 3}, {}, {4}, {0, 2}} {
			t.Run(fmt.Sprintf("%v/%v", dt, s), func(t *testing.T) {
				g := graph.New()
				a, b, c := g.Input("a", dt, s...), g.Input("b", dt, s...), g.Input("c", dt, s...)
				y := nodes.Stack(a, b, c)
				require.NoError(t, g.Err())
				assert.Equal(t, append([]int{3}, s...), y.Shape())
				av := shSeq(dt, s...)
				bv := dense.FromF64(dt, s, make([]float64, dense.Size(s)))
				cv := dense.Clone(av)
				got := evalRef(t, map[*graph.Node]*tensor.Dense{a: av, b: bv, c: cv}, y)[0]
				laCheckType(t, y, got)
				var want []float64
				for _, v := range []*tensor.Dense{av, bv, cv} {
					want = append(want, dense.F64(v)...)
				}
				assert.Equal(t, append([]float64{}, want...), append([]float64{}, dense.F64(got)...))
			})
		}
	}
}

func TestTranspose(t *testing.T) {
	for _, dt := range shDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			g := graph.New()
			x := g.Input("x", dt, 2, 3, 4)
			y := nodes.Transpose(x, 2, 0, 1)
			require.NoError(t, g.Err())
			assert.Equal(t, []int{4, 2, 3}, y.Shape())
			xv := shSeq(dt, 2, 3, 4)
			got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xv}, y)[0]
			laCheckType(t, y, got)
			xs, gs := dense.F64(xv), dense.F64(got)
			for i := 0; i < 2; i++ {
				for j := 0; j < 3; j++ {
					for k := 0; k < 4; k++ {
						require.Equal(t, xs[(i*3+j)*4+k], gs[(k*2+i)*3+j], "x[%d,%d,%d]", i, j, k)
					}
				}
			}
		})
	}
	t.Run("identity and small ranks", func(t *testing.T) {
		g := graph.New()
		x, s, e := g.Input("x", tensor.Float64, 2, 3), g.Input("s", tensor.Float64), g.Input("e", tensor.Float64, 0, 3)
		id, sc, em := nodes.Transpose(x, 0, 1), nodes.Transpose(s), nodes.Transpose(e, 1, 0)
		xv, sv, ev := shSeq(tensor.Float64, 2, 3), f64s(nil, 5), shSeq(tensor.Float64, 0, 3)
		got := evalRef(t, map[*graph.Node]*tensor.Dense{x: xv, s: sv, e: ev}, id, sc, em)
		for k, n := range []*graph.Node{id, sc, em} {
			laCheckType(t, n, got[k])
		}
		assert.Equal(t, xv.Float64s(), got[0].Float64s())
		assert.NotSame(t, xv, got[0])
		assert.Equal(t, []float64{5}, got[1].Float64s())
		assert.Equal(t, []int{3, 0}, em.Shape())
	})
	t.Run("labels", func(t *testing.T) {
		g := graph.New()
		w := g.Input("w", tensor.Float64, 3, 4, 5)
		h := g.Axis("head", 0)
		x := g.Loop(h, func() *graph.Node { return w.At(h, graph.All, graph.All) }) // [head=3 4 5]
		assert.Equal(t, "[5 head=3 4]", nodes.Transpose(x, 2, 0, 1).Type().Dims())
		assert.Contains(t, graph.Format(nodes.Transpose(x, 2, 0, 1)), "Transpose([2 0 1])")
		assert.Equal(t, "[4 head=3 5]", nodes.Transpose(x, 1, 0, 2).Type().Dims())
		assert.Equal(t, "[2 head=3 4 5]", nodes.Stack(x, x).Type().Dims())
		assert.Equal(t, "[60]", nodes.Ravel(x).Type().Dims())
		assert.Equal(t, "[head=3 4 5]", nodes.Reshape(x, 3, 4, 5).Type().Dims())
		assert.Equal(t, "[3 20]", nodes.Reshape(x, 3, 20).Type().Dims())
		require.NoError(t, g.Err())
	})
}

func TestShapeErrors(t *testing.T) {
	f64 := tensor.Float64
	in := func(g *graph.Graph, name string, dims ...int) *graph.Node { return g.Input(name, f64, dims...) }
	cases := []struct {
		name, op string
		build    func(g *graph.Graph) *graph.Node
		wants    []string
	}{
		{"reshape size", "Reshape", func(g *graph.Graph) *graph.Node {
			return nodes.Reshape(in(g, "x", 2, 3), 4, 2)
		}, []string{"[2 3]", "[4 2]", "6 elements", "8 elements"}},
		{"reshape two -1", "Reshape", func(g *graph.Graph) *graph.Node {
			return nodes.Reshape(in(g, "x", 2, 3), -1, -1)
		}, []string{"[2 3]", "[-1 -1]", "only one"}},
		{"reshape -1 misfit", "Reshape", func(g *graph.Graph) *graph.Node {
			return nodes.Reshape(in(g, "x", 2, 3), 4, -1)
		}, []string{"[2 3]", "[4 -1]"}},
		{"reshape -1 with 0", "Reshape", func(g *graph.Graph) *graph.Node {
			return nodes.Reshape(in(g, "x", 0, 3), 0, -1)
		}, []string{"[0 3]", "[0 -1]"}},
		{"reshape negative", "Reshape", func(g *graph.Graph) *graph.Node {
			return nodes.Reshape(in(g, "x", 2, 3), -2, -3)
		}, []string{"[2 3]", "negative"}},
		{"concat 2-D", "Concat", func(g *graph.Graph) *graph.Node {
			return nodes.Concat(in(g, "a", 3), in(g, "b", 2, 3))
		}, []string{"piece 1 is [2 3]", "vectors"}},
		{"concat scalar", "Concat", func(g *graph.Graph) *graph.Node {
			return nodes.Concat(in(g, "a"))
		}, []string{"piece 0 is []"}},
		{"concat dtypes", "Concat", func(g *graph.Graph) *graph.Node {
			return nodes.Concat(in(g, "a", 3), g.Input("b", tensor.Int64, 2))
		}, []string{"dtypes differ", "f64[3]", "i64[2]"}},
		{"stack shapes", "Stack", func(g *graph.Graph) *graph.Node {
			return nodes.Stack(in(g, "a", 2, 3), in(g, "b", 2, 3), in(g, "c", 3, 2))
		}, []string{"shapes differ", "[2 3]", "value 2 is [3 2]"}},
		{"stack ranks", "Stack", func(g *graph.Graph) *graph.Node {
			return nodes.Stack(in(g, "a", 3), in(g, "b"))
		}, []string{"[3]", "value 1 is []"}},
		{"stack dtypes", "Stack", func(g *graph.Graph) *graph.Node {
			return nodes.Stack(in(g, "a", 3), g.Input("b", tensor.Bool, 3))
		}, []string{"dtypes differ", "f64[3]", "bool[3]"}},
		{"perm repeat", "Transpose", func(g *graph.Graph) *graph.Node {
			return nodes.Transpose(in(g, "x", 2, 3), 0, 0)
		}, []string{"[0 0]", "[2 3]", "permutation"}},
		{"perm range", "Transpose", func(g *graph.Graph) *graph.Node {
			return nodes.Transpose(in(g, "x", 2, 3), 0, 2)
		}, []string{"[0 2]", "[2 3]", "permutation"}},
		{"perm negative", "Transpose", func(g *graph.Graph) *graph.Node {
			return nodes.Transpose(in(g, "x", 2, 3), -1, 0)
		}, []string{"[-1 0]", "[2 3]"}},
		{"perm length", "Transpose", func(g *graph.Graph) *graph.Node {
			return nodes.Transpose(in(g, "x", 2, 3, 4), 1, 0)
		}, []string{"[1 0]", "[2 3 4]", "2 entries", "3 dims"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "shape_test.go", c.op, c.build, c.wants...) })
	}
	// No operands: no graph to record on, but a poisoned node, not a panic.
	assert.Error(t, nodes.Concat().Err())
	assert.Error(t, nodes.Stack().Err())
}

func TestShapeEvalBadFeed(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 2, 3)
	y := nodes.Reshape(x, 3, 2)
	_, err := tryEval(map[*graph.Node]*tensor.Dense{x: f64s([]int{5}, 1, 2, 3, 4, 5)}, y)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reshape [5]")
}
