package mha

import (
	"math"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// Attention is one head over one sequence: x [seq, d], wq/wk [d, dk], wv [d, dv].
func Attention(x, wq, wk, wv *graph.Node) *graph.Node {
	q, k, v := nodes.MatMul(x, wq), nodes.MatMul(x, wk), nodes.MatMul(x, wv)
	scores := nodes.Scale(nodes.MatMul(q, nodes.T(k)), 1/math.Sqrt(float64(wk.Dim(1))))
	r := x.Graph().Axis("row", 0)
	w := vmap.For(r).Do(func() *graph.Node { return nodes.Softmax(scores.At(r, graph.All)) })
	return nodes.MatMul(w, v)
}

// MultiHead runs every head (weights stacked on a leading head dim), projects
// each head's output with its wo, and lays the heads side by side per
// position: the result is [seq, heads·dout].
func MultiHead(x, wq, wk, wv, wo *graph.Node) *graph.Node {
	g := x.Graph()
	h, s := g.Axis("head", 0), g.Axis("seq", 0)
	all := graph.All
	proj := vmap.For(h).Do(func() *graph.Node {
		return nodes.MatMul(Attention(x, wq.At(h, all, all), wk.At(h, all, all), wv.At(h, all, all)), wo.At(h, all, all))
	})
	return vmap.For(s).Do(func() *graph.Node { return nodes.Ravel(proj.At(all, s, all)) })
}

// Batched maps MultiHead over a batch of sequences xs [batch, seq, d].
func Batched(xs, wq, wk, wv, wo *graph.Node) *graph.Node {
	b := xs.Graph().Axis("batch", 0)
	return vmap.For(b).Do(func() *graph.Node {
		return MultiHead(xs.At(b, graph.All, graph.All), wq, wk, wv, wo)
	})
}
