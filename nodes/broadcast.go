package nodes

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Expand inserts a new dim of size n at position dim, repeating x along it.
// Lowering uses it for values a loop shares and a batched op needs per index.
func Expand(x *graph.Node, dim, n int) *graph.Node {
	r := x.Rank()
	shape := append(append(append([]int{}, x.Shape()[:min(dim, r)]...), n), x.Shape()[min(dim, r):]...)
	dims := make([]int, 0, r)
	for k := 0; k < r; k++ {
		if k < dim {
			dims = append(dims, k)
		} else {
			dims = append(dims, k+1)
		}
	}
	return graph.Apply(&BroadcastOp{Shape: shape, Dims: dims}, x)
}

// BroadcastOp repeats x into Shape: dim k of x becomes dim Dims[k] of the
// result (same size); the other dims of Shape are new and repeat x. There is
// no size-1 stretching: this is XLA's broadcast_in_dim restricted to new dims.
type BroadcastOp struct {
	Shape []int
	Dims  []int
}

func (*BroadcastOp) Name() string    { return "Broadcast" }
func (o *BroadcastOp) Attrs() string { return fmt.Sprintf("%v dims %v", o.Shape, o.Dims) }

func (o *BroadcastOp) Infer(in []graph.Type) (graph.Type, error) {
	x := in[0]
	if len(o.Dims) != x.Rank() {
		return graph.Type{}, fmt.Errorf("%d dims mapped for a rank-%d value %s", len(o.Dims), x.Rank(), x.Dims())
	}
	labels := make([]*graph.Axis, len(o.Shape))
	for k, d := range o.Dims {
		if d < 0 || d >= len(o.Shape) || (k > 0 && d <= o.Dims[k-1]) || o.Shape[d] != x.Shape[k] {
			return graph.Type{}, fmt.Errorf("cannot place %s into %v along dims %v", x.Dims(), o.Shape, o.Dims)
		}
		labels[d] = x.Label(k)
	}
	return graph.Type{DType: x.DType, Shape: append([]int{}, o.Shape...), Labels: labels}, nil
}

func (o *BroadcastOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	x := dense.Contiguous(in[0])
	xs := dense.Strides(dense.Shape(x))
	// Source stride of every output dim: 0 along new dims.
	src := make([]int, len(o.Shape))
	for k, d := range o.Dims {
		src[d] = xs[k]
	}
	out := dense.Zeros(x.Dtype(), o.Shape)
	n := out.Size()
	idx := make([]int, len(o.Shape))
	for i := 0; i < n; i++ {
		off := 0
		for k, v := range idx {
			off += v * src[k]
		}
		dense.CopyElems(out, i, x, off, 1)
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < o.Shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}

// Batch adds the loop axis as a new leading dim of the result.
func (o *BroadcastOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	x, bd := in[0], bdim[0]
	shape := append([]int{x.Dim(bd)}, o.Shape...)
	dims := make([]int, 0, len(o.Dims)+1)
	k := 0
	for p := 0; p < x.Rank(); p++ {
		if p == bd {
			dims = append(dims, 0)
		} else {
			dims = append(dims, o.Dims[k]+1)
			k++
		}
	}
	// dims must increase: move the batch dim to the front of x first.
	x = MoveDim(x, bd, 0)
	dims = append([]int{0}, without(dims, 0)...)
	return checked(graph.Apply(&BroadcastOp{Shape: shape, Dims: dims}, x), 0)
}

// VJP sums the cotangent over the new dims, the ones x was repeated along.
func (o *BroadcastOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, 1); err != nil {
		return nil, err
	}
	if !floaty(in[0]) {
		return []*graph.Node{nil}, nil
	}
	var fresh []int
	for d := range o.Shape {
		if !slices.Contains(o.Dims, d) {
			fresh = append(fresh, d)
		}
	}
	if len(fresh) == 0 {
		return []*graph.Node{ct}, nil
	}
	return grads(o, graph.Apply(&Reduce{Kind: RedSum, Axes: fresh}, ct))
}

func without(xs []int, v int) []int {
	out := make([]int, 0, len(xs))
	for _, x := range xs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
