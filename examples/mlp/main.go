package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

type config struct {
	Classes, PerClass, Hidden, Batch, Epochs int
	LR                                       float64
	Seed                                     uint64
	Quiet                                    bool
}

type result struct {
	Losses            []float64 // mean training loss per epoch
	TrainAcc, TestAcc float64
}

func main() {
	c := config{Classes: 3, PerClass: 1000, Hidden: 64, Batch: 128, LR: 0.01, Seed: 1}
	flag.IntVar(&c.Epochs, "epochs", 60, "passes over the training set")
	flag.IntVar(&c.Hidden, "hidden", c.Hidden, "width of the two hidden layers")
	flag.Float64Var(&c.LR, "lr", c.LR, "Adam learning rate")
	flag.Parse()
	res, err := run(c, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlp:", err)
		os.Exit(1)
	}
	fmt.Printf("final loss %.4f, train accuracy %.1f%%, test accuracy %.1f%%\n",
		res.Losses[len(res.Losses)-1], 100*res.TrainAcc, 100*res.TestAcc)
}

// mlp is the model for one example: x [2] → logits [classes].
type mlp struct{ l1, l2, l3 *nn.Linear }

func newMLP(p *nn.Params, c config, r *rand.Rand) *mlp {
	return &mlp{
		l1: nn.NewLinear(p, "l1", 2, c.Hidden, r),
		l2: nn.NewLinear(p, "l2", c.Hidden, c.Hidden, r),
		l3: nn.NewLinear(p, "l3", c.Hidden, c.Classes, r),
	}
}

func (m *mlp) Apply(x *graph.Node) *graph.Node {
	return m.l3.Apply(nodes.Tanh(m.l2.Apply(nodes.Tanh(m.l1.Apply(x)))))
}

func run(c config, out io.Writer) (result, error) {
	xTrain, yTrain := spirals(c.Classes, c.PerClass, 0.2, c.Seed)
	xTest, yTest := spirals(c.Classes, c.PerClass/4, 0.2, c.Seed+1)
	n := yTrain.Shape()[0]

	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	model := newMLP(p, c, rand.New(rand.NewPCG(c.Seed, 7)))

	// One training step's program: the batch's mean loss and its gradients.
	xb := g.Input("x", tensor.Float32, c.Batch, 2)
	yb := g.Input("y", tensor.Int64, c.Batch)
	b := g.Axis("example", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		return nn.CrossEntropy(model.Apply(xb.At(b, graph.All)), yb.At(b))
	}))
	step, err := exec.Compile(append([]*graph.Node{loss}, autodiff.Grad(loss, p.Nodes()...)...))
	if err != nil {
		return result{}, err
	}

	opt := train.NewAdam(c.LR)
	batchX := tensor.New(tensor.WithShape(c.Batch, 2), tensor.Of(tensor.Float32))
	batchY := tensor.New(tensor.WithShape(c.Batch), tensor.Of(tensor.Int64))
	loop := train.Loop{N: n, BatchSize: c.Batch, Epochs: c.Epochs, Seed: c.Seed, DropLast: true, Out: out, Quiet: c.Quiet}
	losses, err := loop.Run(func(epoch int, rows []int) (float64, error) {
		if err := train.Gather(batchX, xTrain, rows); err != nil {
			return 0, err
		}
		if err := train.Gather(batchY, yTrain, rows); err != nil {
			return 0, err
		}
		res, err := step.Run(p.Feeds(map[string]*tensor.Dense{"x": batchX, "y": batchY}))
		if err != nil {
			return 0, err
		}
		if err := opt.Step(p.Values(), res[1:]); err != nil {
			return 0, err
		}
		return float64(res[0].Float32s()[0]), nil
	})
	if err != nil {
		return result{}, err
	}
	res := result{Losses: losses}
	if res.TrainAcc, err = accuracy(g, p, model, xTrain, yTrain); err != nil {
		return res, err
	}
	res.TestAcc, err = accuracy(g, p, model, xTest, yTest)
	return res, err
}

// accuracy classifies every point of xs with the trained weights (one more
// program over the same parameters, a loop over all points) and returns the
// fraction whose largest logit is the label.
func accuracy(g *graph.Graph, p *nn.Params, m *mlp, xs, ys *tensor.Dense) (float64, error) {
	n := ys.Shape()[0]
	name := fmt.Sprintf("points%d", n)
	x := g.Input(name, tensor.Float32, n, 2)
	i := g.Axis("point", 0)
	logits := vmap.For(i).Do(func() *graph.Node { return m.Apply(x.At(i, graph.All)) })
	prog, err := exec.Compile([]*graph.Node{logits})
	if err != nil {
		return 0, err
	}
	out, err := prog.Run(p.Feeds(map[string]*tensor.Dense{name: xs}))
	if err != nil {
		return 0, err
	}
	z, labels := out[0].Float32s(), ys.Int64s()
	classes := len(z) / n
	right := 0
	for e := 0; e < n; e++ {
		best := 0
		for c := 1; c < classes; c++ {
			if z[e*classes+c] > z[e*classes+best] {
				best = c
			}
		}
		if int64(best) == labels[e] {
			right++
		}
	}
	return float64(right) / float64(n), nil
}
