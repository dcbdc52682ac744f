package nn

import (
	"math/rand/v2"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// BlockConfig sizes a TransformerBlock.
type BlockConfig struct {
	Dim    int  // model dim d
	Heads  int  // attention heads; Dim must be a multiple
	Hidden int  // the MLP's hidden width (commonly 4·Dim)
	Causal bool // mask future positions (a decoder block)
}

// TransformerBlock is a pre-norm transformer layer over one sequence:
//
//	h = x + MHA(LN1(x))        LN1 applied to every position
//	y = h + MLP(LN2(h))        per position
type TransformerBlock struct {
	LN1, LN2 *LayerNorm
	Attn     *MultiHeadAttention
	MLP      *MLP
}

// NewTransformerBlock adds name.ln1, name.attn, name.ln2 and name.mlp.
func NewTransformerBlock(p *Params, name string, c BlockConfig, r *rand.Rand) *TransformerBlock {
	q := p.Scope(name)
	return &TransformerBlock{
		LN1:  NewLayerNorm(q, "ln1", c.Dim),
		Attn: NewMultiHeadAttention(q, "attn", c.Dim, c.Heads, c.Causal, r),
		LN2:  NewLayerNorm(q, "ln2", c.Dim),
		MLP:  NewMLP(q, "mlp", c.Dim, c.Hidden, r),
	}
}

// Apply maps one sequence x [seq, d] to [seq, d]. Only attention looks
// across positions; the norms and the MLP are written for one position and
// looped over the sequence.
func (b *TransformerBlock) Apply(x *graph.Node) *graph.Node {
	g := graphOf(x, b.LN1.Gain)
	if g == nil || x == nil {
		return nilInput("nn.TransformerBlock.Apply", b.LN1.Gain)
	}
	s := g.Axis("pos", 0)
	n1 := vmap.For(s).Do(func() *graph.Node { return b.LN1.Apply(x.At(s, graph.All)) })
	h := nodes.Add(x, b.Attn.Apply(n1))
	t := g.Axis("pos", 0)
	return vmap.For(t).Do(func() *graph.Node {
		ht := h.At(t, graph.All)
		return nodes.Add(ht, b.MLP.Apply(b.LN2.Apply(ht)))
	})
}
