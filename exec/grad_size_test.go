package exec_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// tinyLM is a 2-block causal transformer's loss over a batch loop.
func tinyLM() (*graph.Node, *nn.Params) {
	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	r := rand.New(rand.NewPCG(3, 5))
	const B, S, D, H, V = 2, 8, 16, 2, 11
	tok := nn.NewEmbedding(p, "tok", V, D, r)
	var blocks []*nn.TransformerBlock
	for l := range 2 {
		blocks = append(blocks, nn.NewTransformerBlock(p, fmt.Sprintf("b%d", l), nn.BlockConfig{Dim: D, Heads: H, Hidden: 4 * D, Causal: true}, r))
	}
	head := nn.NewLinear(p, "head", D, V, r)
	src, dst := g.Input("src", tensor.Int64, B, S), g.Input("dst", tensor.Int64, B, S)
	b, s, t := g.Axis("batch", 0), g.Axis("pos", 0), g.Axis("pos", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		x := vmap.For(s).Do(func() *graph.Node { return tok.Apply(src.At(b, s)) })
		for _, k := range blocks {
			x = k.Apply(x)
		}
		return vmap.For(t).Do(func() *graph.Node { return nn.CrossEntropy(head.Apply(x.At(t, graph.All)), dst.At(b, t)) })
	}))
	return loss, p
}

func kernelCount(t *testing.T, outs []*graph.Node) int {
	t.Helper()
	p, err := exec.Compile(outs)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(p.Explain(), "\n")
	var nodes, kernels int
	if _, err := fmt.Sscanf(line[strings.Index(line, ":")+1:], " %d nodes, %d kernels", &nodes, &kernels); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return kernels
}

// Autodiff builds one backward loop per parameter of a batch loop; the
// optimizer must merge what they share (the replayed forward and the
// backward pass down to each parameter), so every gradient together costs
// little more than the deepest one alone — not one backward pass per
// parameter (it was 1852 kernels here, against 45 for the forward pass).
func TestGradientsShareTheBackwardPass(t *testing.T) {
	loss, p := tinyLM()
	all := kernelCount(t, append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...))
	loss2, p2 := tinyLM()
	deepest := kernelCount(t, append([]*graph.Node{loss2}, autodiff.Grad(loss2, p2.Node("tok.table"))...))
	if limit := deepest + 4*len(p.Nodes()); all > limit {
		t.Fatalf("all %d gradients take %d kernels; the deepest alone takes %d: want at most %d", len(p.Nodes()), all, deepest, limit)
	}
	t.Logf("all %d gradients: %d kernels; the embedding's alone: %d", len(p.Nodes()), all, deepest)
}
