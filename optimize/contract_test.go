package optimize_test

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/optimize"
	"github.com/loomtensor/loom/vmap"
)

func randn(r *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	v := make([]float64, dense.Size(shape))
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return dense.FromF64(dt, shape, v)
}

func check(t *testing.T, out *graph.Node, feeds map[string]*tensor.Dense) *exec.Program {
	t.Helper()
	ref, err := exec.Compile([]*graph.Node{out}, exec.Reference())
	require.NoError(t, err)
	cpu, err := exec.Compile([]*graph.Node{out}, exec.Debug(""))
	require.NoError(t, err)
	want, err := ref.Run(feeds)
	require.NoError(t, err)
	got, err := cpu.Run(feeds)
	require.NoError(t, err)
	optest.Close(t, "optimized vs reference", got[0], want[0])
	return cpu
}

// The essay's D[k,n] = mean_{l,m} A[k,l,m]·B[l,n]·C[k,m] runs as two GEMM
// contractions; nothing of size K·N·L·M is ever computed.
func TestMeanOfProductsContracts(t *testing.T) {
	const K, L, M, N = 6, 7, 5, 4
	g := graph.New()
	A := g.Input("A", tensor.Float64, K, L, M)
	B := g.Input("B", tensor.Float64, L, N)
	C := g.Input("C", tensor.Float64, K, M)
	k, n, l, m := g.Axis("k", 0), g.Axis("n", 0), g.Axis("l", 0), g.Axis("m", 0)
	D := vmap.For(k, n).Do(func() *graph.Node {
		return nodes.Mean(vmap.For(l, m).Do(func() *graph.Node {
			return nodes.Mul(nodes.Mul(A.At(k, l, m), B.At(l, n)), C.At(k, m))
		}))
	})
	r := rand.New(rand.NewSource(1))
	p := check(t, D, map[string]*tensor.Dense{"A": randn(r, tensor.Float64, K, L, M), "B": randn(r, tensor.Float64, L, N), "C": randn(r, tensor.Float64, K, M)})
	outs, err := optimize.Run([]*graph.Node{D}, optimize.Options{Verify: true})
	require.NoError(t, err)
	gemms := 0
	for _, x := range graph.Needed(outs) {
		assert.Less(t, x.Type().Size(), K*N*L*M, "materialized %s: %s", x, graph.Format(outs...))
		if _, ok := x.Op().(*nodes.BatchMatMulOp); ok {
			gemms++
		}
	}
	assert.Equal(t, 2, gemms, graph.Format(outs...))
	assert.Less(t, p.PeakBytes(), int64(8*K*N*L*M))
}

func TestEinsumPlanned(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	g := graph.New()
	a := g.Input("a", tensor.Float32, 3, 4)
	b := g.Input("b", tensor.Float32, 4, 5)
	c := g.Input("c", tensor.Float32, 5, 2)
	feeds := map[string]*tensor.Dense{"a": randn(r, tensor.Float32, 3, 4), "b": randn(r, tensor.Float32, 4, 5), "c": randn(r, tensor.Float32, 5, 2)}
	for _, spec := range []string{"ij,jk,kl->il", "ij,jk,kl->li", "ij,jk,kl->", "ij,jk,kl->jl"} {
		e := nodes.Einsum(spec, a, b, c)
		check(t, e, feeds)
		outs, err := optimize.Run([]*graph.Node{e}, optimize.Options{Verify: true})
		require.NoError(t, err)
		for _, x := range graph.Needed(outs) {
			_, still := x.Op().(*nodes.EinsumOp)
			assert.False(t, still, "%s was not planned", spec)
		}
	}
}
