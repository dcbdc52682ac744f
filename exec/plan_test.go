package exec_test

import (
	"math"
	"math/rand"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
)

// Concurrent Runs of a program whose intermediates live in planned arena
// slots (each Run its own arena) give bitwise the same outputs as one Run,
// and the reference's within float64 rounding.
func TestConcurrentRunsWithPlannedMemory(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	in := func(name string, dims ...int) *graph.Node {
		feeds[name] = randT(r, tensor.Float64, dims...)
		return g.Input(name, tensor.Float64, dims...)
	}
	y := mha.Batched(in("x", 2, 16, 32), in("wq", 4, 32, 8), in("wk", 4, 32, 8), in("wv", 4, 32, 8), in("wo", 4, 8, 8))
	p, err := exec.Compile([]*graph.Node{y})
	require.NoError(t, err)
	assert.Contains(t, p.Explain(), "arena slots")
	want, err := p.Run(feeds)
	require.NoError(t, err)
	ref := runWith(t, y, feeds, exec.Reference()).Float64s()
	for k, v := range want[0].Float64s() {
		require.InDelta(t, ref[k], v, 1e-10*(1+math.Abs(ref[k])), "element %d", k)
	}
	var wg sync.WaitGroup
	errs := make([]string, 8)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				got, err := p.Run(feeds)
				switch {
				case err != nil:
					errs[w] = err.Error()
				case !slices.Equal(got[0].Float64s(), want[0].Float64s()):
					errs[w] = "a concurrent run differs"
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		assert.Empty(t, e)
	}
}
