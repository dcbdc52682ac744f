package nodes

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Ravel flattens x's visible dims, row-major, into one dim.
func Ravel(x *graph.Node) *graph.Node { return graph.Apply(&RavelOp{}, x) }

// Reshape gives x's elements, in row-major order, the visible dims dims.
// One entry may be -1: it is inferred from the others.
func Reshape(x *graph.Node, dims ...int) *graph.Node {
	return graph.Apply(&ReshapeOp{Dims: append([]int{}, dims...)}, x)
}

// Concat joins vectors of one dtype end to end.
func Concat(xs ...*graph.Node) *graph.Node { return graph.Apply(&ConcatOp{}, xs...) }

// Stack joins values of one dtype and one shape along a new leading dim.
func Stack(xs ...*graph.Node) *graph.Node { return graph.Apply(&StackOp{}, xs...) }

// Transpose permutes x's visible dims: dim k of the result is dim perm[k] of
// x. perm must name every dim of x once.
func Transpose(x *graph.Node, perm ...int) *graph.Node {
	return graph.Apply(&TransposeOp{Perm: append([]int{}, perm...)}, x)
}

// TransposeOp is the op behind Transpose and T. Matrix marks T, which only
// takes 2-D values and is named "T" in errors.
type TransposeOp struct {
	Perm   []int
	Matrix bool
}

func (o *TransposeOp) Name() string {
	if o.Matrix {
		return "T"
	}
	return "Transpose"
}

func (o *TransposeOp) Attrs() string {
	if o.Matrix {
		return ""
	}
	return fmt.Sprint(o.Perm)
}

func (o *TransposeOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	x := in[0]
	if o.Matrix && x.Rank() != 2 {
		return graph.Type{}, fmt.Errorf("want a matrix, got %s (Transpose permutes any rank)", x.Dims())
	}
	if len(o.Perm) != x.Rank() {
		return graph.Type{}, fmt.Errorf("perm %v has %d entries for the %d dims of %s", o.Perm, len(o.Perm), x.Rank(), x.Dims())
	}
	seen := make([]bool, x.Rank())
	t := graph.Type{DType: x.DType, Shape: make([]int, x.Rank()), Labels: make([]*graph.Axis, x.Rank())}
	for k, p := range o.Perm {
		if p < 0 || p >= x.Rank() || seen[p] {
			return graph.Type{}, fmt.Errorf("perm %v is not a permutation of the dims 0..%d of %s", o.Perm, x.Rank()-1, x.Dims())
		}
		seen[p] = true
		t.Shape[k] = x.Shape[p]
		t.Labels[k] = x.Label(p)
	}
	return t, nil
}

// Batch keeps the batch dim where it is and permutes the others around it;
// T becomes a plain Transpose.
func (o *TransposeOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	bd := bdim[0]
	perm := make([]int, 0, len(o.Perm)+1)
	for _, p := range o.Perm {
		if len(perm) == bd {
			perm = append(perm, bd)
		}
		if p >= bd {
			p++
		}
		perm = append(perm, p)
	}
	if len(perm) == bd {
		perm = append(perm, bd)
	}
	return checked(Transpose(in[0], perm...), bd)
}

func (o *TransposeOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	st := dense.Strides(dense.Shape(in[0]))
	// src[i] is the input offset of output element i.
	src := make([]int, dense.Size(t.Shape))
	pos := make([]int, len(t.Shape))
	for i := range src {
		off := 0
		for k, p := range o.Perm {
			off += pos[k] * st[p]
		}
		src[i] = off
		for k := len(pos) - 1; k >= 0; k-- {
			if pos[k]++; pos[k] < t.Shape[k] {
				break
			}
			pos[k] = 0
		}
	}
	return shGather(in[0], t.Shape, src), nil
}

// shGather returns a tensor of shape whose element i is x's element src[i]
// (row-major offsets).
func shGather(x *tensor.Dense, shape []int, src []int) *tensor.Dense {
	x = dense.Contiguous(x)
	out := dense.Zeros(x.Dtype(), shape)
	switch x.Dtype() {
	case tensor.Float32:
		shGatherSlice(out.Float32s(), x.Float32s(), src)
	case tensor.Float64:
		shGatherSlice(out.Float64s(), x.Float64s(), src)
	case tensor.Int64:
		shGatherSlice(out.Int64s(), x.Int64s(), src)
	case tensor.Bool:
		shGatherSlice(out.Bools(), x.Bools(), src)
	}
	return out
}

func shGatherSlice[E any](dst, x []E, src []int) {
	for i, s := range src {
		dst[i] = x[s]
	}
}

// RavelOp is the op behind Ravel.
type RavelOp struct{}

func (*RavelOp) Name() string { return "Ravel" }

func (*RavelOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	x := in[0]
	t := graph.Type{DType: x.DType, Shape: []int{x.Size()}, Labels: []*graph.Axis{nil}}
	if x.Rank() == 1 {
		t.Labels[0] = x.Label(0)
	}
	return t, nil
}

func (o *RavelOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	return shCopyAs(in[0], t.Shape), nil
}

// Batch moves the batch dim to the front and flattens the rest: [B, size].
func (*RavelOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	return batchReshape(&RavelOp{}, in[0], bdim[0])
}

// shCopyAs copies x's elements, row-major, into a fresh tensor of shape.
func shCopyAs(x *tensor.Dense, shape []int) *tensor.Dense {
	out := dense.Zeros(x.Dtype(), shape)
	dense.CopyElems(out, 0, x, 0, dense.Size(shape))
	return out
}

// ReshapeOp is the op behind Reshape. Dims are as given, -1 included.
// Labels, when it has one entry per result dim, names the result's dims
// (batching rules set it for the dims a reshape restores); otherwise dims keep
// their labels only when the shape does not change.
type ReshapeOp struct {
	Dims   []int
	Labels []*graph.Axis
}

func (*ReshapeOp) Name() string    { return "Reshape" }
func (o *ReshapeOp) Attrs() string { return fmt.Sprint(o.Dims) }

func (o *ReshapeOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 1); err != nil {
		return graph.Type{}, err
	}
	x := in[0]
	shape, err := shResolve(x, o.Dims)
	if err != nil {
		return graph.Type{}, err
	}
	t := graph.Type{DType: x.DType, Shape: shape, Labels: make([]*graph.Axis, len(shape))}
	if len(o.Labels) == len(shape) {
		copy(t.Labels, o.Labels)
	} else if graph.SameShape(t, x) { // same dims: the data does not move
		for k := range shape {
			t.Labels[k] = x.Label(k)
		}
	}
	return t, nil
}

// shResolve checks dims against x's size and fills in a -1.
func shResolve(x graph.Type, dims []int) ([]int, error) {
	size := x.Size()
	known, free := 1, -1
	for k, d := range dims {
		switch {
		case d == -1 && free >= 0:
			return nil, fmt.Errorf("cannot reshape %s into %v: only one dim may be -1", x.Dims(), dims)
		case d == -1:
			free = k
		case d < 0:
			return nil, fmt.Errorf("cannot reshape %s into %v: negative dim %d", x.Dims(), dims, d)
		default:
			known *= d
		}
	}
	shape := append([]int{}, dims...)
	if free >= 0 {
		if known == 0 || size%known != 0 {
			return nil, fmt.Errorf("cannot reshape %s (%d elements) into %v: no size for the -1 fits", x.Dims(), size, dims)
		}
		shape[free] = size / known
		return shape, nil
	}
	if known != size {
		return nil, fmt.Errorf("cannot reshape %s (%d elements) into %v (%d elements)", x.Dims(), size, dims, known)
	}
	return shape, nil
}

// Batch moves the batch dim to the front and reshapes to [B, dims...], the
// -1 resolved from one example.
func (o *ReshapeOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	return batchReshape(o, in[0], bdim[0])
}

func (o *ReshapeOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	return shCopyAs(in[0], t.Shape), nil
}

// ConcatOp is the op behind Concat. Axis 0 is the natural form (vectors
// joined end to end); Axis > 0 joins values of one rank along dim Axis, every
// other dim equal (batching rules produce it).
type ConcatOp struct {
	Axis int
}

func (*ConcatOp) Name() string    { return "Concat" }
func (o *ConcatOp) Attrs() string { return shAxisAttrs(o.Axis) }

func shAxisAttrs(axis int) string {
	if axis == 0 {
		return ""
	}
	return fmt.Sprintf("axis %d", axis)
}

func (o *ConcatOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, len(in)); err != nil {
		return graph.Type{}, err
	}
	if len(in) == 0 {
		return graph.Type{}, fmt.Errorf("no pieces to join")
	}
	ax, x0 := o.Axis, in[0]
	if ax < 0 {
		return graph.Type{}, fmt.Errorf("negative axis %d", ax)
	}
	n := 0
	for k, x := range in {
		switch {
		case ax == 0 && x.Rank() != 1:
			return graph.Type{}, fmt.Errorf("piece %d is %s: want vectors (Ravel it first)", k, x.Dims())
		case ax > 0 && x.Rank() <= ax:
			return graph.Type{}, fmt.Errorf("piece %d is %s: no dim %d to join along", k, x.Dims(), ax)
		case x.DType != x0.DType:
			return graph.Type{}, fmt.Errorf("dtypes differ: piece 0 is %s, piece %d is %s", laDesc(x0), k, laDesc(x))
		}
		if ax > 0 {
			for d := range x.Shape {
				if d != ax && (x.Rank() != x0.Rank() || x.Shape[d] != x0.Shape[d]) {
					return graph.Type{}, fmt.Errorf("piece %d is %s, piece 0 is %s: want equal dims except dim %d", k, x.Dims(), x0.Dims(), ax)
				}
			}
		}
		n += x.Shape[ax]
	}
	t := graph.Type{DType: x0.DType, Shape: append([]int{}, x0.Shape...), Labels: make([]*graph.Axis, x0.Rank())}
	for d := range t.Shape {
		if d != ax {
			t.Labels[d] = x0.Label(d)
		}
	}
	t.Shape[ax] = n
	return t, nil
}

func (o *ConcatOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	out := dense.Zeros(t.DType, t.Shape)
	outer, row := dense.Size(t.Shape[:o.Axis]), dense.Size(t.Shape[o.Axis:])
	at := 0
	for _, x := range in {
		chunk := dense.Size(dense.Shape(x)[o.Axis:])
		for r := 0; r < outer; r++ {
			dense.CopyElems(out, r*row+at, x, r*chunk, chunk)
		}
		at += chunk
	}
	return out, nil
}

// Batch brings every piece's batch dim to the front (shared pieces are
// repeated) and joins along the next dim.
func (o *ConcatOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	xs, err := batchFrontAll(in, bdim)
	if err != nil {
		return nil, 0, err
	}
	return checked(graph.Apply(&ConcatOp{Axis: o.Axis + 1}, xs...), 0)
}

// StackOp is the op behind Stack. Axis 0 is the natural form (a new leading
// dim); Axis > 0 inserts the new dim at Axis (batching rules produce it).
type StackOp struct {
	Axis int
}

func (*StackOp) Name() string    { return "Stack" }
func (o *StackOp) Attrs() string { return shAxisAttrs(o.Axis) }

func (o *StackOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, len(in)); err != nil {
		return graph.Type{}, err
	}
	if len(in) == 0 {
		return graph.Type{}, fmt.Errorf("no values to stack")
	}
	x0, ax := in[0], o.Axis
	for k, x := range in {
		if !graph.SameShape(x, x0) {
			return graph.Type{}, fmt.Errorf("shapes differ: value 0 is %s, value %d is %s", x0.Dims(), k, x.Dims())
		}
		if x.DType != x0.DType {
			return graph.Type{}, fmt.Errorf("dtypes differ: value 0 is %s, value %d is %s", laDesc(x0), k, laDesc(x))
		}
	}
	if ax < 0 || ax > x0.Rank() {
		return graph.Type{}, fmt.Errorf("axis %d is not a dim 0..%d of the result for values %s", ax, x0.Rank(), x0.Dims())
	}
	t := graph.Type{DType: x0.DType}
	for d := 0; d <= x0.Rank(); d++ {
		if d == ax {
			t.Shape, t.Labels = append(t.Shape, len(in)), append(t.Labels, nil)
		}
		if d < x0.Rank() {
			t.Shape, t.Labels = append(t.Shape, x0.Shape[d]), append(t.Labels, x0.Label(d))
		}
	}
	return t, nil
}

func (o *StackOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	t, err := o.Infer(laTypesOf(in))
	if err != nil {
		return nil, err
	}
	out := dense.Zeros(t.DType, t.Shape)
	outer, per := dense.Size(t.Shape[:o.Axis]), dense.Size(t.Shape[o.Axis+1:])
	for r := 0; r < outer; r++ {
		for k, x := range in {
			dense.CopyElems(out, (r*len(in)+k)*per, x, r*per, per)
		}
	}
	return out, nil
}

// Batch brings every value's batch dim to the front (shared values are
// repeated) and stacks along the next dim.
func (o *StackOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	xs, err := batchFrontAll(in, bdim)
	if err != nil {
		return nil, 0, err
	}
	return checked(graph.Apply(&StackOp{Axis: o.Axis + 1}, xs...), 0)
}
