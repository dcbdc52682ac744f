package main

import (
	"fmt"
	"io"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// The training mode (-train): a small transformer built from nn/ learns to
// reverse sequences of random tokens. Each position's prediction needs the
// token at the mirrored position, so attention must learn to look there;
// the loss (mean cross-entropy per token) starts at ln(vocab) ≈ 2.08 and
// training stops once it falls below the target.

type trainConfig struct {
	Vocab, Len, Dim, Heads, Hidden, Layers int
	Batch, MaxSteps                        int
	LR, Target                             float64
	Seed                                   uint64
	Plot                                   string // loss-curve PNG path; "" = none
}

func defaultTrainConfig() trainConfig {
	return trainConfig{Vocab: 8, Len: 8, Dim: 32, Heads: 4, Hidden: 64, Layers: 2,
		Batch: 32, MaxSteps: 3000, LR: 3e-3, Target: 0.05, Seed: 1, Plot: "loss.png"}
}

// reverser is the model for one sequence of token ids [Len] → logits [Len, Vocab].
type reverser struct {
	tok, pos *nn.Embedding
	blocks   []*nn.TransformerBlock
	norm     *nn.LayerNorm
	head     *nn.Linear
}

func newReverser(p *nn.Params, c trainConfig, r *rand.Rand) *reverser {
	m := &reverser{
		tok:  nn.NewEmbedding(p, "tok", c.Vocab, c.Dim, r),
		pos:  nn.NewEmbedding(p, "pos", c.Len, c.Dim, r),
		norm: nn.NewLayerNorm(p, "norm", c.Dim),
		head: nn.NewLinear(p, "head", c.Dim, c.Vocab, r),
	}
	for l := 0; l < c.Layers; l++ {
		m.blocks = append(m.blocks, nn.NewTransformerBlock(p, fmt.Sprintf("block%d", l),
			nn.BlockConfig{Dim: c.Dim, Heads: c.Heads, Hidden: c.Hidden}, r))
	}
	return m
}

func (m *reverser) Apply(ids *graph.Node) *graph.Node {
	g := ids.Graph()
	s := g.Axis("pos", 0)
	x := vmap.For(s).Do(func() *graph.Node {
		return nodes.Add(m.tok.Apply(ids.At(s)), m.pos.Apply(s.Value()))
	})
	for _, b := range m.blocks {
		x = b.Apply(x)
	}
	t := g.Axis("pos", 0)
	return vmap.For(t).Do(func() *graph.Node { return m.head.Apply(m.norm.Apply(x.At(t, graph.All))) })
}

// trainReverse trains until the loss is below c.Target or c.MaxSteps, and
// returns the loss of every step.
func trainReverse(c trainConfig, out io.Writer) ([]float64, error) {
	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	model := newReverser(p, c, rand.New(rand.NewPCG(c.Seed, 17)))
	src := g.Input("src", tensor.Int64, c.Batch, c.Len)
	dst := g.Input("dst", tensor.Int64, c.Batch, c.Len)
	b, s := g.Axis("seq", 0), g.Axis("pos", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		logits := model.Apply(src.At(b, graph.All))
		return vmap.For(s).Do(func() *graph.Node {
			return nn.CrossEntropy(logits.At(s, graph.All), dst.At(b, s))
		})
	}))
	prog, err := exec.Compile(append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "reverse %d tokens of %d kinds: %d blocks, dim %d, %d heads, %d parameters\n",
		c.Len, c.Vocab, c.Layers, c.Dim, c.Heads, p.Count())
	opt := train.NewAdam(c.LR)
	r := rand.New(rand.NewPCG(c.Seed, 23))
	srcV := make([]int64, c.Batch*c.Len)
	dstV := make([]int64, c.Batch*c.Len)
	feeds := map[string]*tensor.Dense{
		"src": tensor.New(tensor.WithShape(c.Batch, c.Len), tensor.WithBacking(srcV)),
		"dst": tensor.New(tensor.WithShape(c.Batch, c.Len), tensor.WithBacking(dstV)),
	}
	var losses []float64
	for step := 0; step < c.MaxSteps; step++ {
		for q := 0; q < c.Batch; q++ {
			for k := 0; k < c.Len; k++ {
				v := r.Int64N(int64(c.Vocab))
				srcV[q*c.Len+k], dstV[q*c.Len+c.Len-1-k] = v, v
			}
		}
		res, err := prog.Run(p.Feeds(feeds))
		if err != nil {
			return losses, err
		}
		if err := opt.Step(p.Values(), res[1:]); err != nil {
			return losses, err
		}
		l := float64(res[0].Float32s()[0])
		losses = append(losses, l)
		if step%100 == 0 {
			fmt.Fprintf(out, "step %5d  loss %.4f\n", step, l)
		}
		if smoothed(losses, 20) < c.Target {
			fmt.Fprintf(out, "step %5d  loss %.4f: below %.3g, done\n", step, l, c.Target)
			break
		}
	}
	if c.Plot != "" {
		if err := plotLoss(losses, c.Plot); err != nil {
			return losses, err
		}
		fmt.Fprintf(out, "loss curve written to %s\n", c.Plot)
	}
	return losses, nil
}

// smoothed is the mean of the last n losses (all of them when fewer), so a
// lucky batch does not end training.
func smoothed(l []float64, n int) float64 {
	if len(l) < n {
		return l[len(l)-1] + 1 // not enough steps yet
	}
	s := 0.0
	for _, v := range l[len(l)-n:] {
		s += v
	}
	return s / float64(n)
}
