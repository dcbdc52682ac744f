package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// A tiny decoder language model over a batch of token sequences. Each piece
// is written for one sequence (or one position); the batch is a loop.
func Example() {
	const batch, seq, vocab, d = 4, 6, 10, 16
	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	r := rand.New(rand.NewPCG(1, 2))
	tok := nn.NewEmbedding(p, "tok", vocab, d, r)
	pos := nn.NewEmbedding(p, "pos", seq, d, r)
	blk := nn.NewTransformerBlock(p, "block0", nn.BlockConfig{Dim: d, Heads: 4, Hidden: 4 * d, Causal: true}, r)
	ln := nn.NewLayerNorm(p, "ln", d)
	head := nn.NewLinear(p, "head", d, vocab, r)

	ids := g.Input("ids", tensor.Int64, batch, seq)         // the input tokens
	targets := g.Input("targets", tensor.Int64, batch, seq) // the next tokens
	b, s, t := g.Axis("b", 0), g.Axis("s", 0), g.Axis("t", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		x := vmap.For(s).Do(func() *graph.Node { // [seq, d]: token + position
			return nodes.Add(tok.Apply(ids.At(b, s)), pos.Apply(s.Value()))
		})
		h := blk.Apply(x)
		return vmap.For(t).Do(func() *graph.Node { // [seq]: one loss per position
			return nn.CrossEntropy(head.Apply(ln.Apply(h.At(t, graph.All))), targets.At(b, t))
		})
	}))

	prog, err := exec.Compile([]*graph.Node{loss})
	if err != nil {
		fmt.Println(err)
		return
	}
	in, next := make([]int64, batch*seq), make([]int64, batch*seq)
	for k := range in {
		in[k] = int64(r.IntN(vocab))
		next[k] = (in[k] + 1) % vocab
	}
	out, err := prog.Run(p.Feeds(map[string]*tensor.Dense{
		"ids":     dense.FromI64([]int{batch, seq}, in),
		"targets": dense.FromI64([]int{batch, seq}, next),
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	l := dense.F64(out[0])[0]
	fmt.Println(len(p.Names()), "parameters,", p.Count(), "numbers")
	// Untrained, the loss is near that of a uniform guess, log(vocab).
	fmt.Println("loss within 1 of log(vocab):", math.Abs(l-math.Log(vocab)) < 1)
	// Output:
	// 18 parameters, 3674 numbers
	// loss within 1 of log(vocab): true
}

// Parameters are saved as one .npy file each, named by their scoped names.
func ExampleParams_Save() {
	p := nn.NewParams(graph.New(), tensor.Float32)
	r := rand.New(rand.NewPCG(1, 2))
	nn.NewMultiHeadAttention(p, "attn", 8, 2, false, r)
	dir, err := os.MkdirTemp("", "ckpt")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := p.Save(dir); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.npy"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	q := nn.NewParams(graph.New(), tensor.Float32)
	nn.NewMultiHeadAttention(q, "attn", 8, 4, false, r) // 4 heads: wq is [4 8 2]
	fmt.Println(q.Load(dir) != nil)
	// Output:
	// attn.wk.npy
	// attn.wo.npy
	// attn.wq.npy
	// attn.wv.npy
	// true
}
