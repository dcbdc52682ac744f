package nodes_test

import (
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// Forward alone against forward plus gradient (optimized CPU), for loop
// workloads whose backward is built from the rules here: the ratio is what
// the rules cost once lowered and fused.
func BenchmarkGrad(b *testing.B) {
	for _, w := range []struct {
		name  string
		args  []gGen
		build func(x ...*graph.Node) *graph.Node // per-example loss: operand 0 looped over its dim 0, the others shared
	}{
		{"logsoftmax-256x1000", []gGen{gFill(tensor.Float32, []int{256, 1000}, func(r *rand.Rand) float64 { return r.NormFloat64() }), gF32(1)},
			func(x ...*graph.Node) *graph.Node {
				return nodes.Sum(nodes.Mul(nodes.LogSoftmax(x[0]), nodes.Sum(x[1])))
			}},
		{"tanh-layer-256x784x512", []gGen{gF32(256, 784), gF32(784, 512)},
			func(x ...*graph.Node) *graph.Node { return nodes.Sum(nodes.Tanh(nodes.MatMul(x[0], x[1]))) }},
		{"cholesky-32x48x48", []gGen{gSPD(48, 32), gUniform(48, 48)},
			func(x ...*graph.Node) *graph.Node { return nodes.Sum(nodes.Mul(nodes.Cholesky(x[0]), x[1])) }},
	} {
		r := rand.New(rand.NewSource(1))
		g := graph.New()
		feeds := map[string]*tensor.Dense{}
		xs := make([]*graph.Node, len(w.args))
		for k, gen := range w.args {
			v := gen(r)
			name := string(rune('a' + k))
			feeds[name] = v
			xs[k] = g.Input(name, v.Dtype(), v.Shape()...)
		}
		i := g.Axis("i", 0)
		loss := nodes.Sum(vmap.For(i).Do(func() *graph.Node {
			args := append([]*graph.Node(nil), xs...)
			args[0] = xs[0].At(gAt(xs[0].Rank(), i)...)
			return w.build(args...)
		}))
		grads := autodiff.Grad(loss, xs...)
		if err := g.Err(); err != nil {
			b.Fatal(err)
		}
		for _, run := range []struct {
			name string
			outs []*graph.Node
		}{{"fwd", []*graph.Node{loss}}, {"fwd+grad", append([]*graph.Node{loss}, grads...)}} {
			b.Run(w.name+"/"+run.name, func(b *testing.B) {
				p, err := exec.Compile(run.outs)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Run(feeds); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
