package nodes_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

type esCase struct {
	name   string
	spec   string
	shapes [][]int
	out    []int
	want   func(x [][]float64) []float64 // plain loops
}

func esCases() []esCase {
	return []esCase{
		{"matmul", "ij,jk->ik", [][]int{{2, 3}, {3, 4}}, []int{2, 4}, func(x [][]float64) []float64 {
			a, b := x[0], x[1]
			out := make([]float64, 2*4)
			for i := 0; i < 2; i++ {
				for k := 0; k < 4; k++ {
					for j := 0; j < 3; j++ {
						out[i*4+k] += a[i*3+j] * b[j*4+k]
					}
				}
			}
			return out
		}},
		{"matmul implicit", "ij,jk", [][]int{{2, 3}, {3, 4}}, []int{2, 4}, func(x [][]float64) []float64 {
			a, b := x[0], x[1]
			out := make([]float64, 2*4)
			for i := 0; i < 2; i++ {
				for k := 0; k < 4; k++ {
					for j := 0; j < 3; j++ {
						out[i*4+k] += a[i*3+j] * b[j*4+k]
					}
				}
			}
			return out
		}},
		{"batched matmul", "bij,bjk->bik", [][]int{{2, 3, 4}, {2, 4, 5}}, []int{2, 3, 5}, func(x [][]float64) []float64 {
			a, c := x[0], x[1]
			out := make([]float64, 2*3*5)
			for b := 0; b < 2; b++ {
				for i := 0; i < 3; i++ {
					for k := 0; k < 5; k++ {
						for j := 0; j < 4; j++ {
							out[(b*3+i)*5+k] += a[(b*3+i)*4+j] * c[(b*4+j)*5+k]
						}
					}
				}
			}
			return out
		}},
		{"trace", "ii->", [][]int{{4, 4}}, []int{}, func(x [][]float64) []float64 {
			s := 0.0
			for i := 0; i < 4; i++ {
				s += x[0][i*4+i]
			}
			return []float64{s}
		}},
		{"trace implicit", "ii", [][]int{{3, 3}}, []int{}, func(x [][]float64) []float64 {
			return []float64{x[0][0] + x[0][4] + x[0][8]}
		}},
		{"diagonal", "ii->i", [][]int{{3, 3}}, []int{3}, func(x [][]float64) []float64 {
			return []float64{x[0][0], x[0][4], x[0][8]}
		}},
		{"outer", "i,j->ij", [][]int{{3}, {2}}, []int{3, 2}, func(x [][]float64) []float64 {
			var out []float64
			for i := 0; i < 3; i++ {
				for j := 0; j < 2; j++ {
					out = append(out, x[0][i]*x[1][j])
				}
			}
			return out
		}},
		{"transpose", "ij->ji", [][]int{{2, 3}}, []int{3, 2}, func(x [][]float64) []float64 {
			var out []float64
			for j := 0; j < 3; j++ {
				for i := 0; i < 2; i++ {
					out = append(out, x[0][i*3+j])
				}
			}
			return out
		}},
		{"transpose implicit", "ba", [][]int{{2, 3}}, []int{3, 2}, func(x [][]float64) []float64 {
			var out []float64
			for a := 0; a < 3; a++ {
				for b := 0; b < 2; b++ {
					out = append(out, x[0][b*3+a])
				}
			}
			return out
		}},
		{"sum", "ij->", [][]int{{2, 3}}, []int{}, func(x [][]float64) []float64 {
			s := 0.0
			for _, v := range x[0] {
				s += v
			}
			return []float64{s}
		}},
		{"dot", "i,i->", [][]int{{5}, {5}}, []int{}, func(x [][]float64) []float64 {
			s := 0.0
			for i := 0; i < 5; i++ {
				s += x[0][i] * x[1][i]
			}
			return []float64{s}
		}},
		{"chain", "ij,jk,kl->il", [][]int{{2, 3}, {3, 4}, {4, 2}}, []int{2, 2}, func(x [][]float64) []float64 {
			a, b, c := x[0], x[1], x[2]
			out := make([]float64, 4)
			for i := 0; i < 2; i++ {
				for l := 0; l < 2; l++ {
					for j := 0; j < 3; j++ {
						for k := 0; k < 4; k++ {
							out[i*2+l] += a[i*3+j] * b[j*4+k] * c[k*2+l]
						}
					}
				}
			}
			return out
		}},
		{"essay", "klm,ln,km->kn", [][]int{{3, 4, 5}, {4, 2}, {3, 5}}, []int{3, 2}, func(x [][]float64) []float64 {
			A, B, C := x[0], x[1], x[2]
			out := make([]float64, 3*2)
			for k := 0; k < 3; k++ {
				for n := 0; n < 2; n++ {
					for l := 0; l < 4; l++ {
						for m := 0; m < 5; m++ {
							out[k*2+n] += A[(k*4+l)*5+m] * B[l*2+n] * C[k*5+m]
						}
					}
				}
			}
			return out
		}},
		{"uppercase, spaces", " Ab , bC -> CA ", [][]int{{2, 3}, {3, 2}}, []int{2, 2}, func(x [][]float64) []float64 {
			out := make([]float64, 4)
			for c := 0; c < 2; c++ {
				for a := 0; a < 2; a++ {
					for b := 0; b < 3; b++ {
						out[c*2+a] += x[0][a*3+b] * x[1][b*2+c]
					}
				}
			}
			return out
		}},
		{"scalar operand", ",i->i", [][]int{{}, {3}}, []int{3}, func(x [][]float64) []float64 {
			return []float64{x[0][0] * x[1][0], x[0][0] * x[1][1], x[0][0] * x[1][2]}
		}},
		{"identity", "ijk->ijk", [][]int{{2, 1, 3}}, []int{2, 1, 3}, func(x [][]float64) []float64 {
			return append([]float64(nil), x[0]...)
		}},
		{"empty contraction", "ij,jk->ik", [][]int{{2, 0}, {0, 3}}, []int{2, 3}, func(x [][]float64) []float64 {
			return make([]float64, 6)
		}},
		{"empty output", "ij,jk->ik", [][]int{{0, 2}, {2, 3}}, []int{0, 3}, func(x [][]float64) []float64 {
			return []float64{}
		}},
	}
}

func TestEinsum(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, c := range esCases() {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				g := graph.New()
				xs := make([]*graph.Node, len(c.shapes))
				vals := make([][]float64, len(c.shapes))
				feeds := map[*graph.Node]*tensor.Dense{}
				for k, s := range c.shapes {
					xs[k] = g.Input(fmt.Sprint("x", k), dt, s...)
					var tv *tensor.Dense
					tv, vals[k] = laValue(dt, s, laRandom(r, s...))
					feeds[xs[k]] = tv
				}
				y := nodes.Einsum(c.spec, xs...)
				require.NoError(t, g.Err())
				assert.Equal(t, c.out, y.Shape())
				got := evalRef(t, feeds, y)[0]
				laCheckType(t, y, got)
				laClose(t, c.want(vals), got, laTol(dt))
			})
		}
	}
}

func TestEinsumAttrs(t *testing.T) {
	g := graph.New()
	a, b := g.Input("a", tensor.Float64, 2, 3), g.Input("b", tensor.Float64, 3, 4)
	y := nodes.Einsum("ij, jk", a, b)
	require.NoError(t, g.Err())
	op, ok := y.Op().(*nodes.EinsumOp)
	require.True(t, ok)
	assert.Equal(t, "Einsum", op.Name())
	assert.Equal(t, `"ij,jk->ik"`, op.Attrs())
	assert.Contains(t, graph.Format(y), `Einsum("ij,jk->ik")`)
}

func TestEinsumLabels(t *testing.T) {
	g := graph.New()
	w := g.Input("w", tensor.Float64, 3, 4)
	s := g.Axis("seq", 0)
	x := g.Loop(s, func() *graph.Node { return w.At(s, graph.All) }) // [seq=3 4]
	assert.Equal(t, "[4 seq=3]", nodes.Einsum("ij->ji", x).Type().Dims())
	assert.Equal(t, "[seq=3 seq=3]", nodes.Einsum("ik,jk->ij", x, x).Type().Dims())
	require.NoError(t, g.Err())
}

func TestEinsumErrors(t *testing.T) {
	f64 := tensor.Float64
	in := func(g *graph.Graph, name string, dims ...int) *graph.Node { return g.Input(name, f64, dims...) }
	cases := []struct {
		name  string
		build func(g *graph.Graph) *graph.Node
		wants []string
	}{
		{"operand count", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij,jk->ik", in(g, "a", 2, 3))
		}, []string{`"ij,jk->ik"`, "2 operands, got 1"}},
		{"too many operands", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij->i", in(g, "a", 2, 3), in(g, "b", 2, 3))
		}, []string{"1 operands, got 2"}},
		{"term length", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij,jk->ik", in(g, "a", 2, 3), in(g, "b", 3, 4, 5))
		}, []string{"operand 1 is [3 4 5]", `"jk"`, "2 letters"}},
		{"letter sizes", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij,jk->ik", in(g, "a", 2, 3), in(g, "b", 4, 5))
		}, []string{"letter j is 3 in operand 0 [2 3] but 4 in operand 1 [4 5]"}},
		{"diagonal sizes", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ii->i", in(g, "a", 2, 3))
		}, []string{"letter i is 2", "but 3", "[2 3]"}},
		{"bad character", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("i1,jk->ik", in(g, "a", 2, 3), in(g, "b", 3, 4))
		}, []string{`"i1,jk->ik"`, "'1'", "letters"}},
		{"bad output character", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij->i_", in(g, "a", 2, 3))
		}, []string{"'_'"}},
		{"ellipsis", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("...ij,...jk->...ik", in(g, "a", 2, 3), in(g, "b", 3, 4))
		}, []string{"ellipsis", "not supported"}},
		{"unknown output letter", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij->ik", in(g, "a", 2, 3))
		}, []string{"output letter k appears in no operand"}},
		{"repeated output letter", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij->ii", in(g, "a", 2, 3))
		}, []string{"output letter i appears twice"}},
		{"two arrows", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("ij->j->", in(g, "a", 2, 3))
		}, []string{"more than one"}},
		{"dtypes", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("i,i->", in(g, "a", 3), g.Input("b", tensor.Float32, 3))
		}, []string{"dtypes differ", "f64[3]", "f32[3]"}},
		{"ints", func(g *graph.Graph) *graph.Node {
			return nodes.Einsum("i->", g.Input("a", tensor.Int64, 3))
		}, []string{"float", "i64[3]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { laBuildErr(t, "einsum_test.go", "Einsum", c.build, c.wants...) })
	}
	// A bad spec without operands still gives a poisoned node, not a panic.
	assert.Error(t, nodes.Einsum("i->j").Err())
	assert.Error(t, nodes.Einsum("ij->").Err())
}
