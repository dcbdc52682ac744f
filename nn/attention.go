package nn

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
	"github.com/loomtensor/loom/vmap"
)

// masked is the score a causal mask gives a future position: finite, so that
// softmax's max-subtraction and every exp kernel see ordinary numbers, and so
// far below any real score that its weight rounds to exactly zero.
const masked = -1e9

// Attention is one head over one sequence, as the essay writes it: x [seq,
// d], wq/wk [d, dk], wv [d, dv] → [seq, dv]. Each row of scores is
// softmaxed on its own in a loop over rows. With causal, row r's columns
// after r are masked, so position r attends only to positions ≤ r.
func Attention(x, wq, wk, wv *graph.Node, causal bool) *graph.Node {
	g := graphOf(x, wq, wk, wv)
	if g == nil || x == nil {
		return nilInput("nn.Attention", wq)
	}
	q, k, v := nodes.MatMul(x, wq), nodes.MatMul(x, wk), nodes.MatMul(x, wv)
	scores := nodes.Scale(nodes.MatMul(q, nodes.T(k)), 1/math.Sqrt(float64(wk.Dim(1))))
	if causal {
		scores = nodes.Add(scores, CausalMask(g, x.Dim(0), x.DType()))
	}
	r := g.Axis("row", 0)
	w := vmap.For(r).Do(func() *graph.Node { return nodes.Softmax(scores.At(r, graph.All)) })
	return nodes.MatMul(w, v)
}

// CausalMask is the [n, n] matrix added to attention scores in a decoder: 0
// where column c ≤ row r, and a large negative number after the diagonal,
// whose softmax weight rounds to exactly 0. It is built from the loop
// indices themselves; it depends on no input, so the optimizer computes it
// once, however many heads and sequences the loops around it run. (Masking
// with a Where on the scores instead would tie the mask to every head and
// sequence.)
func CausalMask(g *graph.Graph, n int, dt tensor.Dtype) *graph.Node {
	r, c := g.Axis("row", n), g.Axis("col", n)
	return vmap.For(r, c).Do(func() *graph.Node {
		return nodes.Where(nodes.Greater(c.Value(), r.Value()), g.Scalar(masked, dt), g.Scalar(0, dt))
	})
}

// MultiHeadAttention is the essay's multi-head attention with the paper's
// output projection: every head attends over the whole sequence, the heads'
// outputs are laid side by side per position, and W^O mixes them.
type MultiHeadAttention struct {
	Wq, Wk, Wv *graph.Node // [heads, d, dk]: head h's projections are Wq.At(h, All, All), ...
	Wo         *graph.Node // [heads·dk, d]
	Causal     bool        // mask future positions (a decoder)
}

// NewMultiHeadAttention adds name.wq, name.wk, name.wv [heads, d, d/heads]
// and name.wo [d, d], all Glorot-uniform with the fans of the full [d, d]
// matrices they are slices of. d must be a multiple of heads.
func NewMultiHeadAttention(p *Params, name string, d, heads int, causal bool, r *rand.Rand) *MultiHeadAttention {
	if !ready(p, "nn.NewMultiHeadAttention", true, r, d, heads) {
		return &MultiHeadAttention{Wq: p.poison(), Wk: p.poison(), Wv: p.poison(), Wo: p.poison()}
	}
	if d%heads != 0 {
		p.g.Fail("nn.NewMultiHeadAttention", "model dim %d is not a multiple of %d heads", d, heads)
		return &MultiHeadAttention{Wq: p.poison(), Wk: p.poison(), Wv: p.poison(), Wo: p.poison()}
	}
	q, dk := p.Scope(name), d/heads
	return &MultiHeadAttention{
		Wq:     q.Add("wq", train.GlorotUniform(r, p.dt, d, d, heads, d, dk)),
		Wk:     q.Add("wk", train.GlorotUniform(r, p.dt, d, d, heads, d, dk)),
		Wv:     q.Add("wv", train.GlorotUniform(r, p.dt, d, d, heads, d, dk)),
		Wo:     q.Add("wo", train.GlorotUniform(r, p.dt, d, d, d, d)),
		Causal: causal,
	}
}

// Apply maps one sequence x [seq, d] to [seq, d]. The essay's three loops:
// over heads (each head is Attention on its own weights), over positions
// (concatenate the heads' rows: Ravel of a [heads, dk] slice), and the
// batch loop the caller writes around Apply.
func (m *MultiHeadAttention) Apply(x *graph.Node) *graph.Node {
	g := graphOf(x, m.Wq)
	if g == nil || x == nil {
		return nilInput("nn.MultiHeadAttention.Apply", m.Wq)
	}
	h, s := g.Axis("head", 0), g.Axis("seq", 0)
	all := graph.All
	heads := vmap.For(h).Do(func() *graph.Node {
		return Attention(x, m.Wq.At(h, all, all), m.Wk.At(h, all, all), m.Wv.At(h, all, all), m.Causal)
	}) // [heads, seq, dk]
	cat := vmap.For(s).Do(func() *graph.Node { return nodes.Ravel(heads.At(all, s, all)) }) // [seq, heads·dk]
	return nodes.MatMul(cat, m.Wo)
}

// graphOf is the graph of the first node that has one: loops need it for
// their axes, and a nil node must become a build error, not a nil dereference.
func graphOf(xs ...*graph.Node) *graph.Graph {
	for _, x := range xs {
		if g := x.Graph(); g != nil {
			return g
		}
	}
	return nil
}

// nilInput records a nil input as a build error on w's graph (a nil node
// indexed in a loop would otherwise surface as a confusing error further
// on) and returns the poisoned result. With no graph to record on, the
// result is nil.
func nilInput(op string, w *graph.Node) *graph.Node {
	if g := w.Graph(); g != nil {
		return g.Fail(op, "nil input")
	}
	return nil
}
