package mha_test

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// The essay's multi-head attention over a batch of sequences, written with
// loops: the compiled program has no loop left.
func ExampleBatched() {
	g := graph.New()
	x := g.Input("x", tensor.Float32, 2, 16, 32)  // batch, seq, dim
	wq := g.Input("wq", tensor.Float32, 4, 32, 8) // head, dim, dk
	wk := g.Input("wk", tensor.Float32, 4, 32, 8)
	wv := g.Input("wv", tensor.Float32, 4, 32, 8)
	wo := g.Input("wo", tensor.Float32, 4, 8, 8)
	y := mha.Batched(x, wq, wk, wv, wo)
	p, err := exec.Compile([]*graph.Node{y})
	if err != nil {
		fmt.Println(err)
		return
	}
	feeds := map[string]*tensor.Dense{}
	for _, in := range []*graph.Node{x, wq, wk, wv, wo} {
		v := make([]float64, dense.Size(in.Shape()))
		for k := range v {
			v[k] = float64(k%7) / 7
		}
		feeds[in.Op().(*graph.Input).Label] = dense.FromF64(tensor.Float32, in.Shape(), v)
	}
	out, err := p.Run(feeds)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), out[0].Shape())
	// Output: [2 16 32] (2, 16, 32)
}
