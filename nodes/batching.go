package nodes

import (
	"fmt"

	"github.com/loomtensor/loom/graph"
)

// Helpers shared by the batching rules. A batched value carries the loop axis
// on one physical dim (its batch dim, bd); -1 means the value is shared by
// every index. Rules prefer to leave the batch dim where it is and only move
// it (a Transpose, which copies) when the batched primitive needs it
// elsewhere.

// MoveDim moves dim from of x to position to, keeping the other dims in
// order. It is x itself when from == to.
func MoveDim(x *graph.Node, from, to int) *graph.Node {
	if from == to || from < 0 {
		return x
	}
	r := x.Rank()
	perm := make([]int, 0, r)
	for k := 0; k < r; k++ {
		if k != from {
			perm = append(perm, k)
		}
	}
	perm = append(perm[:to], append([]int{from}, perm[to:]...)...)
	return Transpose(x, perm...)
}

// BatchFront returns x with its batch dim first; a shared x is broadcast to
// n copies along a new leading dim.
func BatchFront(x *graph.Node, bd, n int) *graph.Node {
	if bd >= 0 {
		return MoveDim(x, bd, 0)
	}
	return Expand(x, 0, n)
}

// batchSize is the loop's length, read from any batched operand.
func batchSize(in []*graph.Node, bdim []int) (int, error) {
	for k, d := range bdim {
		if d >= 0 {
			return in[k].Dim(d), nil
		}
	}
	return 0, fmt.Errorf("no batched operand")
}

// perExample is x's shape without its batch dim.
func perExample(x *graph.Node, bd int) []int {
	s := x.Shape()
	if bd < 0 {
		return s
	}
	return append(s[:bd:bd], s[bd+1:]...)
}

// checked turns a poisoned result of a batching rule into an error.
func checked(x *graph.Node, bd int) (*graph.Node, int, error) {
	if err := x.Err(); err != nil {
		return nil, 0, err
	}
	return x, bd, nil
}
