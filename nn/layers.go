package nn

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
)

// Linear is an affine map of one vector: y = x·W + B.
type Linear struct {
	W *graph.Node // [in, out]
	B *graph.Node // [out]
}

// NewLinear adds name.w (Glorot-uniform) and name.b (zeros) to p.
func NewLinear(p *Params, name string, in, out int, r *rand.Rand) *Linear {
	if !ready(p, "nn.NewLinear", true, r, in, out) {
		return &Linear{W: p.poison(), B: p.poison()}
	}
	q := p.Scope(name)
	return &Linear{
		W: q.Add("w", train.GlorotUniform(r, p.dt, in, out, in, out)),
		B: q.Add("b", train.Zeros(p.dt, out)),
	}
}

// Apply maps one example x [in] to [out]. A batch is a loop around it:
// vmap.For(b).Do(func() *graph.Node { return l.Apply(xs.At(b, graph.All)) }),
// which runs as one matrix product.
func (l *Linear) Apply(x *graph.Node) *graph.Node {
	if x == nil {
		return nilInput("nn.Linear.Apply", l.W)
	}
	return nodes.Add(nodes.MatMul(x, l.W), l.B)
}

// Embedding is a lookup table: row id of Table is token id's vector.
type Embedding struct {
	Table *graph.Node // [vocab, d]
}

// NewEmbedding adds name.table [vocab, d], drawn from N(0, 1) as PyTorch does.
func NewEmbedding(p *Params, name string, vocab, d int, r *rand.Rand) *Embedding {
	if !ready(p, "nn.NewEmbedding", true, r, vocab, d) {
		return &Embedding{Table: p.poison()}
	}
	return &Embedding{Table: p.Scope(name).Add("table", train.Normal(r, 1, p.dt, vocab, d))}
}

// Apply returns the vector [d] of one token: id is an int64 scalar (a loop
// variable such as s.Value(), or ids.At(s)). It is a gather, so an id out of
// range is a Run error naming the index, never a silent read.
func (e *Embedding) Apply(id *graph.Node) *graph.Node {
	if id == nil {
		return nilInput("nn.Embedding.Apply", e.Table)
	}
	return e.Table.At(id, graph.All)
}

// LayerNorm normalises one vector to zero mean and unit variance, then
// scales and shifts it per feature.
type LayerNorm struct {
	Gain, Bias *graph.Node // [d]
	Eps        float64
}

// NewLayerNorm adds name.gain (ones) and name.bias (zeros), with eps 1e-5.
func NewLayerNorm(p *Params, name string, d int) *LayerNorm {
	if !ready(p, "nn.NewLayerNorm", false, nil, d) {
		return &LayerNorm{Gain: p.poison(), Bias: p.poison()}
	}
	q := p.Scope(name)
	return &LayerNorm{Gain: q.Add("gain", train.Ones(p.dt, d)), Bias: q.Add("bias", train.Zeros(p.dt, d)), Eps: 1e-5}
}

// Apply normalises x [d]. Mean reduces every visible dim, so it is the mean
// of this one vector; subtracting the scalar needs no broadcasting rule.
func (n *LayerNorm) Apply(x *graph.Node) *graph.Node {
	if x == nil {
		return nilInput("nn.LayerNorm.Apply", n.Gain)
	}
	c := nodes.Sub(x, nodes.Mean(x))
	v := nodes.Mean(nodes.Mul(c, c))
	y := nodes.Div(c, nodes.Sqrt(nodes.Offset(v, n.Eps)))
	return nodes.Add(nodes.Mul(y, n.Gain), n.Bias)
}

// Gelu is the tanh form of the Gaussian error linear unit (GPT-2, BERT):
// ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise on any shape.
func Gelu(x *graph.Node) *graph.Node {
	x3 := nodes.Mul(nodes.Mul(x, x), x)
	in := nodes.Scale(nodes.Add(x, nodes.Scale(x3, 0.044715)), math.Sqrt(2/math.Pi))
	return nodes.Mul(nodes.Scale(x, 0.5), nodes.Offset(nodes.Tanh(in), 1))
}

// MLP is the position-wise feed-forward net of a transformer: d → hidden →
// d with a Gelu between.
type MLP struct {
	Up, Down *Linear
}

// NewMLP adds name.up and name.down.
func NewMLP(p *Params, name string, d, hidden int, r *rand.Rand) *MLP {
	q := p.Scope(name)
	return &MLP{Up: NewLinear(q, "up", d, hidden, r), Down: NewLinear(q, "down", hidden, d, r)}
}

// Apply maps one vector x [d] to [d].
func (m *MLP) Apply(x *graph.Node) *graph.Node {
	return m.Down.Apply(Gelu(m.Up.Apply(x)))
}

// ready checks a constructor's arguments; on a bad one it records a build
// error at the user's line and reports false. r is checked only where the
// module draws random values (random).
func ready(p *Params, op string, random bool, r *rand.Rand, dims ...int) bool {
	if p == nil || p.g == nil || (p.dt != tensor.Float32 && p.dt != tensor.Float64) {
		return false // a bad dtype was reported by NewParams
	}
	for _, d := range dims {
		if d <= 0 {
			p.g.Fail(op, "sizes must be positive, got %v", dims)
			return false
		}
	}
	if random && r == nil {
		p.g.Fail(op, "nil *rand.Rand: pass one, e.g. rand.New(rand.NewPCG(1, 2))")
		return false
	}
	return true
}

// poison returns a node carrying the graph's error, for a module that could
// not be built: using it poisons everything downstream, never panics.
func (p *Params) poison() *graph.Node {
	if p == nil || p.g == nil {
		return nil
	}
	if err := p.g.Err(); err != nil {
		return p.g.Fail("nn", "%v", err) // the first error is kept; this one only poisons
	}
	return p.g.Fail("nn", "module was not built")
}
