package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// lmSize is a causal transformer language model's size.
type lmSize struct{ Batch, Seq, Dim, Heads, Blocks, Vocab int }

// lmStep is one training step of the model — loss, gradients and the Adam
// update in one program — with the weights and Adam's state held by the
// program's backend, carried from Call to Call.
type lmStep struct {
	sz    lmSize
	prog  *exec.Program
	u     *train.Update
	names []string // the parameters, in Update order
	feeds map[string]*exec.Value
}

// newLMStep builds the model (token and position embeddings, Blocks causal
// transformer blocks, a final LayerNorm and a linear head, cross-entropy
// against the next token; float32, weights from a fixed seed), compiles its
// step for opt and Puts the weights and the initial Adam state.
func newLMStep(tb testing.TB, sz lmSize, lr float64, opt exec.Option) *lmStep {
	tb.Helper()
	g := graph.New()
	p := nn.NewParams(g, tensor.Float32)
	r := rand.New(rand.NewPCG(3, 5))
	tok := nn.NewEmbedding(p, "tok", sz.Vocab, sz.Dim, r)
	pos := nn.NewEmbedding(p, "pos", sz.Seq, sz.Dim, r)
	var blocks []*nn.TransformerBlock
	for l := range sz.Blocks {
		blocks = append(blocks, nn.NewTransformerBlock(p, fmt.Sprintf("block%d", l),
			nn.BlockConfig{Dim: sz.Dim, Heads: sz.Heads, Hidden: 4 * sz.Dim, Causal: true}, r))
	}
	norm := nn.NewLayerNorm(p, "norm", sz.Dim)
	head := nn.NewLinear(p, "head", sz.Dim, sz.Vocab, r)

	src := g.Input("src", tensor.Int64, sz.Batch, sz.Seq)
	dst := g.Input("dst", tensor.Int64, sz.Batch, sz.Seq)
	b, s, t := g.Axis("batch", 0), g.Axis("pos", 0), g.Axis("pos", 0)
	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
		x := vmap.For(s).Do(func() *graph.Node {
			return nodes.Add(tok.Apply(src.At(b, s)), pos.Apply(s.Value()))
		})
		for _, blk := range blocks {
			x = blk.Apply(x)
		}
		return vmap.For(t).Do(func() *graph.Node {
			return nn.CrossEntropy(head.Apply(norm.Apply(x.At(t, graph.All))), dst.At(b, t))
		})
	}))
	u, err := train.NewAdam(lr).Graph(p.Nodes(), autodiff.Grad(loss, p.Nodes()...))
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := exec.Compile(append([]*graph.Node{loss}, u.Outputs()...), opt)
	if err != nil {
		tb.Fatal(err)
	}
	st := &lmStep{sz: sz, prog: prog, u: u, names: p.Names(), feeds: map[string]*exec.Value{}}
	for name, t := range p.Feeds(u.Init()) {
		st.put(tb, name, t)
	}
	return st
}

func (st *lmStep) put(tb testing.TB, name string, t *tensor.Dense) {
	tb.Helper()
	v, err := st.prog.Put(t)
	if err != nil {
		tb.Fatal(err)
	}
	st.feeds[name] = v
}

// batch Puts step k's tokens: a sequence of random tokens that repeats
// with period 4, so the next token is predictable from attention alone.
func (st *lmStep) batch(tb testing.TB, k int) {
	sz := st.sz
	r := rand.New(rand.NewPCG(11, uint64(k)))
	src, dst := make([]int64, sz.Batch*sz.Seq), make([]int64, sz.Batch*sz.Seq)
	for q := range sz.Batch {
		var period [4]int64
		for i := range period {
			period[i] = r.Int64N(int64(sz.Vocab))
		}
		for s := range sz.Seq {
			src[q*sz.Seq+s], dst[q*sz.Seq+s] = period[s%4], period[(s+1)%4]
		}
	}
	st.put(tb, "src", dense.FromI64([]int{sz.Batch, sz.Seq}, src))
	st.put(tb, "dst", dense.FromI64([]int{sz.Batch, sz.Seq}, dst))
}

// call runs one step and carries the new weights and state to the next;
// it returns the loss Value, still on the backend.
func (st *lmStep) call(tb testing.TB) *exec.Value {
	outs, err := st.prog.Call(st.feeds)
	if err != nil {
		tb.Fatal(err)
	}
	if err := train.Carry(st.u, st.feeds, outs[1:]); err != nil {
		tb.Fatal(err)
	}
	return outs[0]
}

// lmRun is n steps' losses and the weights after them, on the host.
type lmRun struct {
	losses []float64
	params map[string]*tensor.Dense
}

func runLM(tb testing.TB, sz lmSize, n int, opt exec.Option) lmRun {
	tb.Helper()
	st := newLMStep(tb, sz, 3e-3, opt)
	run := lmRun{params: map[string]*tensor.Dense{}}
	for k := range n {
		st.batch(tb, k)
		l, err := st.call(tb).Dense()
		if err != nil {
			tb.Fatal(err)
		}
		run.losses = append(run.losses, dense.F64(l)[0])
	}
	for _, name := range st.names {
		d, err := st.feeds[name].Dense()
		if err != nil {
			tb.Fatal(err)
		}
		run.params[name] = d
	}
	return run
}

// agree fails unless got's losses agree with want's to tol relative, and
// each parameter tensor to tol relative in the 2-norm of the difference
// (Adam moves an element whose gradient is rounding noise by ±lr, whatever
// its size, so elementwise relative error says nothing there).
func agree(t *testing.T, got, want lmRun, tol float64) {
	t.Helper()
	for k, w := range want.losses {
		if d := math.Abs(got.losses[k]-w) / math.Abs(w); !(d <= tol) {
			t.Errorf("step %d: loss %.7g, want %.7g (relative difference %.3g)", k, got.losses[k], w, d)
		}
	}
	worst, at := 0.0, ""
	for name, w := range want.params {
		var diff, norm float64
		gv, wv := dense.F64(got.params[name]), dense.F64(w)
		for i := range wv {
			diff += (gv[i] - wv[i]) * (gv[i] - wv[i])
			norm += wv[i] * wv[i]
		}
		if d := math.Sqrt(diff / norm); !(d <= worst) {
			worst, at = d, name
		}
	}
	t.Logf("losses %.5g → %.5g; largest parameter difference %.3g (%s)", want.losses[0], want.losses[len(want.losses)-1], worst, at)
	if !(worst <= tol) {
		t.Errorf("parameter %s differs by %.3g relative, want ≤ %g", at, worst, tol)
	}
	if last := want.losses[len(want.losses)-1]; !(last < want.losses[0]) {
		t.Errorf("the loss did not fall: %.5g → %.5g", want.losses[0], last)
	}
}

// Five steps of the transformer on the GPU, weights and Adam state
// resident there, match five steps on the CPU backend.
func TestTransformerTrainCUDA(t *testing.T) {
	needGPU(t)
	sz := lmSize{Batch: 4, Seq: 32, Dim: 64, Heads: 4, Blocks: 2, Vocab: 96}
	agree(t, runLM(t, sz, 5, exec.OnCUDA()), runLM(t, sz, 5, exec.OnCPU()), 1e-4)
}

// The same step builder and comparison on the CPU backend against the
// reference interpreter, so the GPU test's code runs where there is no GPU.
func TestTransformerTrainCPU(t *testing.T) {
	sz := lmSize{Batch: 2, Seq: 8, Dim: 16, Heads: 2, Blocks: 1, Vocab: 24}
	agree(t, runLM(t, sz, 5, exec.OnCPU()), runLM(t, sz, 5, exec.Reference()), 1e-4)
}
