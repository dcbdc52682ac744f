package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// BenchmarkTransformerBlock times one pre-norm causal block over a batch of
// sequences, float32, on the optimized CPU program: the forward pass, and a
// training step's forward plus gradients of an MSE loss w.r.t. every
// parameter. GFLOP/s counts the forward's matrix products only.
func BenchmarkTransformerBlock(b *testing.B) {
	for _, c := range []struct{ batch, seq, d, heads int }{{8, 64, 128, 4}, {4, 256, 256, 8}} {
		for _, grad := range []bool{false, true} {
			name := fmt.Sprintf("b%d_s%d_d%d_h%d/forward", c.batch, c.seq, c.d, c.heads)
			if grad {
				name = fmt.Sprintf("b%d_s%d_d%d_h%d/grad", c.batch, c.seq, c.d, c.heads)
			}
			b.Run(name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				g := graph.New()
				p := nn.NewParams(g, tensor.Float32)
				blk := nn.NewTransformerBlock(p, "block0", nn.BlockConfig{Dim: c.d, Heads: c.heads, Hidden: 4 * c.d, Causal: true}, r)
				xs := g.Input("xs", tensor.Float32, c.batch, c.seq, c.d)
				i := g.Axis("b", 0)
				y := vmap.For(i).Do(func() *graph.Node { return blk.Apply(xs.At(i, graph.All, graph.All)) })
				outs := []*graph.Node{y}
				if grad {
					loss := nodes.Mean(vmap.For(i).Do(func() *graph.Node {
						x := xs.At(i, graph.All, graph.All)
						return nn.MSE(blk.Apply(x), x)
					}))
					outs = append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...)
				}
				prog, err := exec.Compile(outs)
				if err != nil {
					b.Fatal(err)
				}
				x, _ := randT(r, tensor.Float32, c.batch, c.seq, c.d)
				feeds := p.Feeds(map[string]*tensor.Dense{"xs": x})
				flops := 2.0 * float64(c.batch*c.seq) * float64(c.d) * float64(c.d) * (4 + 8) // projections and MLP
				flops += 4.0 * float64(c.batch*c.seq*c.seq*c.d)                               // scores and weighted sum
				b.ResetTimer()
				for range b.N {
					if _, err := prog.Run(feeds); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
