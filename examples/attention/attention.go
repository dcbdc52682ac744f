// Command attention is the essay's multi-head attention written the way it
// reads: single-head attention for one sequence, a loop over heads, a loop
// over positions to lay the heads side by side, and (for a batch) a loop over
// examples. loom lifts those loops; the code never mentions a batch dim.
//
//	go run ./examples/attention            # build, explain, check, time
//	go run ./examples/attention -batch 8   # the same model over a batch
package main

import (
	"math"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

// attention is one head over one sequence: x [seq, d], wq/wk [d, dk], wv [d, dv].
func attention(x, wq, wk, wv *graph.Node) *graph.Node {
	q, k, v := nodes.MatMul(x, wq), nodes.MatMul(x, wk), nodes.MatMul(x, wv)
	scores := nodes.Scale(nodes.MatMul(q, nodes.T(k)), 1/math.Sqrt(float64(wk.Dim(1))))
	r := x.Graph().Axis("row", 0)
	w := vmap.For(r).Do(func() *graph.Node { return nodes.Softmax(scores.At(r, graph.All)) })
	return nodes.MatMul(w, v)
}

// multiHead runs every head (weights stacked on a leading head dim), projects
// each head's output with its wo, and lays the heads side by side per
// position: the result is [seq, heads·dout].
func multiHead(x, wq, wk, wv, wo *graph.Node) *graph.Node {
	g := x.Graph()
	h, s := g.Axis("head", 0), g.Axis("seq", 0)
	all := graph.All
	proj := vmap.For(h).Do(func() *graph.Node {
		return nodes.MatMul(attention(x, wq.At(h, all, all), wk.At(h, all, all), wv.At(h, all, all)), wo.At(h, all, all))
	})
	return vmap.For(s).Do(func() *graph.Node { return nodes.Ravel(proj.At(all, s, all)) })
}

// batched maps multiHead over a batch of sequences xs [batch, seq, d].
func batched(xs, wq, wk, wv, wo *graph.Node) *graph.Node {
	b := xs.Graph().Axis("batch", 0)
	return vmap.For(b).Do(func() *graph.Node {
		return multiHead(xs.At(b, graph.All, graph.All), wq, wk, wv, wo)
	})
}
