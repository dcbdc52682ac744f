package nn

import (
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// CrossEntropy is the softmax cross-entropy of one example: logits [C] and
// label an int64 scalar class, −log softmax(logits)[label]. LogSoftmax is
// computed stably (max-subtracted), never as log(softmax). A batch loss is
// the mean of a loop:
//
//	nodes.Mean(vmap.For(b).Do(func() *graph.Node {
//		return nn.CrossEntropy(logits.At(b, graph.All), labels.At(b))
//	}))
func CrossEntropy(logits, label *graph.Node) *graph.Node {
	return nodes.Neg(nodes.LogSoftmax(logits).At(label))
}

// MSE is the mean squared difference of two values of the same shape
// (any rank: Mean reduces every visible dim).
func MSE(pred, target *graph.Node) *graph.Node {
	d := nodes.Sub(pred, target)
	return nodes.Mean(nodes.Mul(d, d))
}
