package cuda

import (
	"math/rand"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// A user's Go function (nodes.Custom) runs on the host between device
// kernels without LOOM_CUDA_HOST — it has no other place to run — both at
// top level and as the loop kept around it, and is listed as a host op.
func TestEmuCustomRunsOnHost(t *testing.T) {
	if testing.Short() {
		t.Skip("the emulated GPU compiles kernels with g++")
	}
	t.Setenv("LOOM_CUDA_HOST", "")
	e := newEngine(newEmu(t))
	host := map[string]bool{}
	var mu sync.Mutex
	run := runner(e, host, &mu)
	cube := func(x *graph.Node) *graph.Node {
		return nodes.Custom("cube", func(in []graph.Type) (graph.Type, error) { return in[0], nil },
			func(in []*tensor.Dense) (*tensor.Dense, error) {
				v := dense.F64(in[0])
				for k := range v {
					v[k] = v[k] * v[k] * v[k]
				}
				return dense.FromF64(in[0].Dtype(), dense.Shape(in[0]), v), nil
			}, x)
	}
	g := graph.New()
	x := g.Input("x", tensor.Float32, 4, 6)
	i := g.Axis("i", 0)
	looped := vmap.For(i).Do(func() *graph.Node { return nodes.Sum(cube(nodes.Exp(x.At(i, graph.All)))) })
	top := nodes.Sum(cube(nodes.Tanh(x)))
	feeds := map[string]*tensor.Dense{"x": rnd(rand.New(rand.NewSource(5)), tensor.Float32, 4, 6)}
	outs := []*graph.Node{looped, top}
	matches(t, "custom", run, outs, feeds, 1e-5)
	var names []string
	for h := range host {
		names = append(names, h)
	}
	if !strings.Contains(strings.Join(names, " "), "cube") {
		t.Fatalf("host ops %v do not list the custom op", names)
	}
}
