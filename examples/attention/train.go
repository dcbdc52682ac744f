package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

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
	// Resident compiles the whole step — loss, gradients and the Adam
	// update — and keeps the weights and Adam's state on the backend
	// ("cpu" or "cuda"); each step moves only the batch in and the loss
	// out. "" runs the program for the gradients and Adam on the host.
	Resident string
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

// reverseLoss builds the model and its loss, the mean cross-entropy per
// token of predicting dst from src (both [Batch, Len] token ids).
func reverseLoss(c trainConfig) (*nn.Params, *graph.Node) {
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
	return p, loss
}

// batches fills src and dst with a new batch of sequences and their
// reversals on each call.
func batches(c trainConfig) (src, dst *tensor.Dense, next func()) {
	r := rand.New(rand.NewPCG(c.Seed, 23))
	srcV := make([]int64, c.Batch*c.Len)
	dstV := make([]int64, c.Batch*c.Len)
	src = tensor.New(tensor.WithShape(c.Batch, c.Len), tensor.WithBacking(srcV))
	dst = tensor.New(tensor.WithShape(c.Batch, c.Len), tensor.WithBacking(dstV))
	return src, dst, func() {
		for q := 0; q < c.Batch; q++ {
			for k := 0; k < c.Len; k++ {
				v := r.Int64N(int64(c.Vocab))
				srcV[q*c.Len+k], dstV[q*c.Len+c.Len-1-k] = v, v
			}
		}
	}
}

// trainReverse trains until the loss is below c.Target or c.MaxSteps, and
// returns the loss of every step.
func trainReverse(c trainConfig, out io.Writer) ([]float64, error) {
	if c.Resident != "" {
		return trainResident(c, out)
	}
	p, loss := reverseLoss(c)
	prog, err := exec.Compile(append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "reverse %d tokens of %d kinds: %d blocks, dim %d, %d heads, %d parameters\n",
		c.Len, c.Vocab, c.Layers, c.Dim, c.Heads, p.Count())
	opt := train.NewAdam(c.LR)
	src, dst, next := batches(c)
	feeds := map[string]*tensor.Dense{"src": src, "dst": dst}
	var losses []float64
	for step := 0; step < c.MaxSteps; step++ {
		next()
		res, err := prog.Run(p.Feeds(feeds))
		if err != nil {
			return losses, err
		}
		if err := opt.Step(p.Values(), res[1:]); err != nil {
			return losses, err
		}
		l := float64(res[0].Float32s()[0])
		losses = append(losses, l)
		if done(out, c, step, losses) {
			break
		}
	}
	return losses, finish(c, out, losses)
}

// trainResident is trainReverse with the whole step in one program on the
// backend c.Resident names: the weights and Adam's state are Put once and
// carried from Call to Call; a step Puts its batch and reads back only its
// loss; the weights come back to p once, at the end.
func trainResident(c trainConfig, out io.Writer) ([]float64, error) {
	losses, _, err := residentRun(c, out)
	return losses, err
}

func residentRun(c trainConfig, out io.Writer) ([]float64, *nn.Params, error) {
	var dev exec.Option
	switch c.Resident {
	case "cpu":
		dev = exec.OnCPU()
	case "cuda":
		dev = exec.OnCUDA()
	default:
		return nil, nil, fmt.Errorf("resident training on %q: want cpu or cuda", c.Resident)
	}
	p, loss := reverseLoss(c)
	u, err := train.NewAdam(c.LR).Graph(p.Nodes(), autodiff.Grad(loss, p.Nodes()...))
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	// Donate: each step writes the new weights and Adam state over the
	// old ones (the Values Carry replaces are consumed by the Call).
	prog, err := exec.Compile(append([]*graph.Node{loss}, u.Outputs()...), dev, exec.Donate(u.Names()...))
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "reverse %d tokens of %d kinds: %d blocks, dim %d, %d heads, %d parameters\n",
		c.Len, c.Vocab, c.Layers, c.Dim, c.Heads, p.Count())
	fmt.Fprintf(out, "one program per step (loss, gradients, Adam) on %s, compiled in %v; weights and Adam state stay there\n",
		c.Resident, time.Since(start).Round(time.Millisecond))
	feeds := map[string]*exec.Value{}
	for name, t := range p.Feeds(u.Init()) {
		if feeds[name], err = prog.Put(t); err != nil {
			return nil, nil, err
		}
	}
	src, dst, next := batches(c)
	var losses []float64
	start = time.Now()
	for step := 0; step < c.MaxSteps; step++ {
		next()
		if feeds["src"], err = prog.Put(src); err != nil {
			return losses, nil, err
		}
		if feeds["dst"], err = prog.Put(dst); err != nil {
			return losses, nil, err
		}
		outs, err := prog.Call(feeds)
		if err != nil {
			return losses, nil, err
		}
		l, err := outs[0].Dense()
		if err != nil {
			return losses, nil, err
		}
		if err := train.Carry(u, feeds, outs[1:]); err != nil {
			return losses, nil, err
		}
		losses = append(losses, float64(l.Float32s()[0]))
		if done(out, c, step, losses) {
			break
		}
	}
	fmt.Fprintf(out, "%d steps, %.3g ms each\n", len(losses),
		float64(time.Since(start).Microseconds())/1e3/float64(max(len(losses), 1)))
	for _, name := range p.Names() {
		t, err := feeds[name].Dense()
		if err == nil {
			err = p.Set(name, t)
		}
		if err != nil {
			return losses, nil, fmt.Errorf("reading back %s: %w", name, err)
		}
	}
	return losses, p, finish(c, out, losses)
}

// done reports progress and whether the smoothed loss is below the target.
func done(out io.Writer, c trainConfig, step int, losses []float64) bool {
	l := losses[len(losses)-1]
	if step%100 == 0 {
		fmt.Fprintf(out, "step %5d  loss %.4f\n", step, l)
	}
	if smoothed(losses, 20) < c.Target {
		fmt.Fprintf(out, "step %5d  loss %.4f: below %.3g, done\n", step, l, c.Target)
		return true
	}
	return false
}

// finish writes the loss curve, if asked.
func finish(c trainConfig, out io.Writer, losses []float64) error {
	if c.Plot == "" {
		return nil
	}
	if err := plotLoss(losses, c.Plot); err != nil {
		return err
	}
	fmt.Fprintf(out, "loss curve written to %s\n", c.Plot)
	return nil
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
