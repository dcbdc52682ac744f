package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// The gradients of indexing: Select's transpose writes a cotangent back into
// zeros at the selected places (Unselect); Gather's and Take's transpose adds
// it at the gathered rows (Scatter). Each is the other's VJP, so second
// derivatives through indexing work too.

// VJP: the cotangent goes back to the selected places of a zero value.
func (o *Select) VJP(in []*Node, _, ct *Node) ([]*Node, error) {
	return []*Node{Apply(&Unselect{Sels: o.Sels, Shape: in[0].Shape()}, ct)}, nil
}

// VJP: a gather's cotangent is added at the gathered row; the index has none.
func (o *Gather) VJP(in []*Node, _, ct *Node) ([]*Node, error) {
	return []*Node{Apply(&Scatter{Dim: o.Dim, Size: in[0].typ.Shape[o.Dim]}, ct, in[1]), nil}, nil
}

// VJP: a take's cotangent is added at the taken rows.
func (o *TakeOp) VJP(in []*Node, _, ct *Node) ([]*Node, error) {
	return []*Node{Apply(&Scatter{Dim: o.Dim, Pairs: o.Pairs, Size: in[0].typ.Shape[o.Dim]}, ct, in[1]), nil}, nil
}

// Unselect is Select's transpose: a value of Shape that is zero except at the
// places Sels selects, which hold its input.
type Unselect struct {
	Sels  []Sel
	Shape []int
}

func (*Unselect) Name() string { return "unselect" }
func (o *Unselect) Attrs() string {
	return fmt.Sprintf("%s into %v", (&Select{Sels: o.Sels}).Attrs(), o.Shape)
}

func (o *Unselect) Infer(in []Type) (Type, error) {
	x := Type{DType: in[0].DType, Shape: o.Shape}
	want, err := (&Select{Sels: o.Sels}).Infer([]Type{x})
	if err != nil {
		return Type{}, err
	}
	if !SameShape(want, in[0]) {
		return Type{}, fmt.Errorf("value %s does not fill selection %s of %v", in[0].Dims(), (&Select{Sels: o.Sels}).Attrs(), o.Shape)
	}
	return x, nil
}

func (o *Unselect) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	src := dense.Contiguous(in[0])
	out := dense.Zeros(src.Dtype(), o.Shape)
	if src.Size() == 0 {
		return out, nil
	}
	walkOffsets(selOffsets(o.Sels, o.Shape), func(e, dst int) { dense.CopyElems(out, dst, src, e, 1) })
	return out, nil
}

// Batch: the batch dim becomes one more kept dim, placed where the input's
// batch dim falls among the kept dims.
func (o *Unselect) Batch(in []*Node, bdim []int) (*Node, int, error) {
	bd, size := bdim[0], in[0].typ.Shape[bdim[0]]
	pos, kept := len(o.Sels), 0
	for k, s := range o.Sels {
		if !s.Drop {
			if kept == bd {
				pos = k
				break
			}
			kept++
		}
	}
	sels := slices.Insert(slices.Clone(o.Sels), pos, Sel{Keep: true})
	shape := slices.Insert(slices.Clone(o.Shape), pos, size)
	return batched(apply(in[0].g.here(), &Unselect{Sels: sels, Shape: shape}, in), pos)
}

// VJP: the cotangent of the placed value is its selection.
func (o *Unselect) VJP(_ []*Node, _, ct *Node) ([]*Node, error) {
	return []*Node{Apply(&Select{Sels: o.Sels}, ct)}, nil
}
