package cpu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// A bad index fed to a lookup in a loop (a take after lowering) fails the
// run on the CPU with the reference's message, naming the input it came
// from; a good one gives the reference's values.
func TestTakeIndexErrorNamesInput(t *testing.T) {
	g := graph.New()
	table := g.Input("table", tensor.Float32, 10, 4)
	ids := g.Input("ids", tensor.Int64, 6)
	b := g.Axis("b", 0)
	rows := vmap.For(b).Do(func() *graph.Node {
		return nodes.Scale(table.At(ids.At(b), graph.All), 2)
	})
	cpu, err := exec.Compile([]*graph.Node{rows}, exec.OnCPU())
	require.NoError(t, err)
	ref, err := exec.Compile([]*graph.Node{rows}, exec.Reference())
	require.NoError(t, err)
	tab := dense.FromF64(tensor.Float32, []int{10, 4}, make([]float64, 40))
	for k := range 40 {
		tab.Float32s()[k] = float32(k)
	}
	feeds := map[string]*tensor.Dense{"table": tab, "ids": dense.FromI64([]int{6}, []int64{3, 0, 9, 3, 1, 2})}
	want, err := ref.Run(feeds)
	require.NoError(t, err)
	got, err := cpu.Run(feeds)
	require.NoError(t, err)
	assert.Equal(t, want[0].Float32s(), got[0].Float32s())

	feeds["ids"] = dense.FromI64([]int{6}, []int64{3, 0, 10, 3, -1, 2})
	_, werr := ref.Run(feeds)
	_, gerr := cpu.Run(feeds)
	require.Error(t, werr)
	require.Error(t, gerr)
	assert.Contains(t, gerr.Error(), `input "ids"`)
	assert.Contains(t, gerr.Error(), "index 10 out of range [0,10)")
	assert.Contains(t, werr.Error(), "index 10 out of range [0,10)")
}
