package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"time"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

type config struct {
	batch, seq, dim, heads, dk int
	ref, explain               bool
	runs                       int
}

func main() {
	var c config
	flag.IntVar(&c.batch, "batch", 4, "sequences per batch (0: one unbatched sequence)")
	flag.IntVar(&c.seq, "seq", 64, "sequence length")
	flag.IntVar(&c.dim, "dim", 64, "model width")
	flag.IntVar(&c.heads, "heads", 4, "attention heads")
	flag.IntVar(&c.dk, "dk", 16, "per-head key/value width")
	flag.IntVar(&c.runs, "runs", 5, "timed runs")
	flag.BoolVar(&c.ref, "ref", false, "use the reference interpreter")
	flag.BoolVar(&c.explain, "explain", true, "print the program")
	learn := flag.Bool("train", false, "train a small transformer (built from nn/) to reverse token sequences; writes loss.png")
	onGPU := flag.Bool("cuda", false, "with -train: run the whole step (loss, gradients, Adam) on the GPU, weights and optimiser state kept there")
	resident := flag.Bool("resident", false, "with -train: the same one-program step as -cuda, on the CPU")
	flag.Parse()
	if (*onGPU || *resident) && !*learn {
		fmt.Fprintln(os.Stderr, "attention: -cuda and -resident go with -train")
		os.Exit(2)
	}
	if *learn {
		c := defaultTrainConfig()
		switch {
		case *onGPU:
			c.Resident = "cuda"
		case *resident:
			c.Resident = "cpu"
		}
		if _, err := trainReverse(c, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "attention -train:", err)
			os.Exit(1)
		}
		return
	}
	if err := demo(c); err != nil {
		fmt.Fprintln(os.Stderr, "attention:", err)
		os.Exit(1)
	}
}

// model holds the built graph and random weights for a configuration.
type model struct {
	out   *graph.Node
	feeds map[string]*tensor.Dense
}

func build(c config, dt tensor.Dtype, seed int64) (model, error) {
	r := rand.New(rand.NewSource(seed))
	g := graph.New()
	feeds := map[string]*tensor.Dense{}
	input := func(name string, scale float64, dims ...int) *graph.Node {
		v := make([]float64, dense.Size(dims))
		for k := range v {
			v[k] = r.NormFloat64() * scale
		}
		feeds[name] = dense.FromF64(dt, dims, v)
		return g.Input(name, dt, dims...)
	}
	ws := 1 / math.Sqrt(float64(c.dim))
	wq := input("wq", ws, c.heads, c.dim, c.dk)
	wk := input("wk", ws, c.heads, c.dim, c.dk)
	wv := input("wv", ws, c.heads, c.dim, c.dk)
	wo := input("wo", 1/math.Sqrt(float64(c.dk)), c.heads, c.dk, c.dk)
	var out *graph.Node
	if c.batch == 0 {
		out = mha.MultiHead(input("x", 1, c.seq, c.dim), wq, wk, wv, wo)
	} else {
		out = mha.Batched(input("x", 1, c.batch, c.seq, c.dim), wq, wk, wv, wo)
	}
	return model{out, feeds}, g.Err()
}

// check compares one loom result with the plain-loop implementation.
func check(c config, m model, got *tensor.Dense) float64 {
	f := func(name string) []float64 { return dense.F64(m.feeds[name]) }
	x := f("x")
	worst := 0.0
	n := max(c.batch, 1)
	per := c.seq * c.heads * c.dk
	out := dense.F64(got)
	for b := 0; b < n; b++ {
		xb := x[b*c.seq*c.dim : (b+1)*c.seq*c.dim]
		want := plainMultiHead(xb, c.seq, c.dim, f("wq"), f("wk"), f("wv"), f("wo"), c.heads, c.dk, c.dk, c.dk)
		for k, w := range want {
			worst = math.Max(worst, math.Abs(out[b*per+k]-w)/math.Max(1, math.Abs(w)))
		}
	}
	return worst
}

func demo(c config) error {
	m, err := build(c, tensor.Float32, 1)
	if err != nil {
		return err
	}
	opt := exec.OnCPU()
	if c.ref {
		opt = exec.Reference()
	}
	p, err := exec.Compile([]*graph.Node{m.out}, opt)
	if err != nil {
		return err
	}
	if c.explain {
		fmt.Println(p.Explain())
	}
	var best time.Duration
	var out []*tensor.Dense
	for r := 0; r < c.runs; r++ {
		start := time.Now()
		if out, err = p.Run(m.feeds); err != nil {
			return err
		}
		if d := time.Since(start); r == 0 || d < best {
			best = d
		}
	}
	fmt.Printf("multi-head attention: batch %d, seq %d, dim %d, %d heads of %d (float32) -> %v\n",
		c.batch, c.seq, c.dim, c.heads, c.dk, out[0].Shape())
	worst := check(c, m, out[0])
	fmt.Printf("max relative difference from plain Go loops: %.2g\n", worst)
	fmt.Printf("best of %d runs: %v\n", c.runs, best)
	if worst > 1e-4 {
		return fmt.Errorf("result differs from the plain-loop check by %.3g", worst)
	}
	return nil
}
