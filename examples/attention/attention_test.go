package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
)

func TestAttentionMatchesPlainLoops(t *testing.T) {
	for _, c := range []config{
		{batch: 0, seq: 6, dim: 8, heads: 2, dk: 4},
		{batch: 3, seq: 5, dim: 8, heads: 3, dk: 2},
	} {
		m, err := build(c, tensor.Float64, 2)
		require.NoError(t, err)
		if c.batch == 0 {
			assert.Equal(t, []int{c.seq, c.heads * c.dk}, m.out.Shape())
		} else {
			assert.Equal(t, []int{c.batch, c.seq, c.heads * c.dk}, m.out.Shape())
		}
		for _, opt := range []exec.Option{exec.Reference(), exec.OnCPU()} {
			p, err := exec.Compile([]*graph.Node{m.out}, opt)
			require.NoError(t, err)
			out, err := p.Run(m.feeds)
			require.NoError(t, err)
			assert.Less(t, check(c, m, out[0]), 1e-12)
		}
	}
}

func TestAttentionShapeErrorNamesCallSite(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 4, 8)
	w := g.Input("w", tensor.Float32, 6, 2) // wrong inner dim
	mha.Attention(x, w, w, w)
	require.Error(t, g.Err())
	assert.Contains(t, g.Err().Error(), "mha.go:")
	assert.Contains(t, g.Err().Error(), "MatMul")
}

func TestDemoRuns(t *testing.T) {
	require.NoError(t, demo(config{batch: 2, seq: 8, dim: 8, heads: 2, dk: 4, runs: 1}))
}
