package nodes

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Reductions over chosen dims (Reduce.Axes), and Reduce's batching rule.

// redCheckAxes wants axes sorted, distinct and within rank.
func redCheckAxes(axes []int, rank int) error {
	for k, a := range axes {
		if a < 0 || a >= rank || (k > 0 && a <= axes[k-1]) {
			return fmt.Errorf("axes %v of a rank-%d value: want sorted, distinct dims in [0, %d)", axes, rank, rank)
		}
	}
	return nil
}

// redKept is the dims of a rank-r value that axes leaves.
func redKept(axes []int, r int) []int {
	kept := make([]int, 0, r)
	k := 0
	for d := 0; d < r; d++ {
		if k < len(axes) && axes[k] == d {
			k++
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// redCount is the number of elements each result element combines.
func redCount(shape, axes []int) int {
	n := 1
	for _, a := range axes {
		n *= shape[a]
	}
	return n
}

func (o *Reduce) inferAxes(s redSpec, x graph.Type) (graph.Type, error) {
	if err := redCheckAxes(o.Axes, x.Rank()); err != nil {
		return graph.Type{}, fmt.Errorf("%v, got %s", err, x.Dims())
	}
	if s.nonEmpty && redCount(x.Shape, o.Axes) == 0 {
		return graph.Type{}, fmt.Errorf("empty reduction over dims %v of %s: no elements to take the %s of", o.Axes, x.Dims(), s.name)
	}
	kept := redKept(o.Axes, x.Rank())
	t := graph.Type{DType: x.DType, Shape: make([]int, len(kept))}
	if x.Labels != nil {
		t.Labels = make([]*graph.Axis, len(kept))
	}
	for k, d := range kept {
		t.Shape[k] = x.Shape[d]
		if t.Labels != nil {
			t.Labels[k] = x.Label(d)
		}
	}
	return t, nil
}

// redOffsets lists the element offsets of every index combination of dims
// (row-major over them, the first slowest); [0] for no dims.
func redOffsets(shape, strides, dims []int) []int {
	offs := []int{0}
	for _, d := range dims {
		next := make([]int, 0, len(offs)*shape[d])
		for _, o := range offs {
			for i := 0; i < shape[d]; i++ {
				next = append(next, o+i*strides[d])
			}
		}
		offs = next
	}
	return offs
}

// evalAxes reduces each group of elements that share the kept dims' index.
func (o *Reduce) evalAxes(s redSpec, x *tensor.Dense) (*tensor.Dense, error) {
	shape := dense.Shape(x)
	if err := redCheckAxes(o.Axes, len(shape)); err != nil {
		return nil, fmt.Errorf("%v, got %v", err, shape)
	}
	if s.nonEmpty && redCount(shape, o.Axes) == 0 {
		return nil, fmt.Errorf("empty reduction over dims %v of %v: no elements to take the %s of", o.Axes, shape, s.name)
	}
	kept := redKept(o.Axes, len(shape))
	outShape := make([]int, len(kept))
	for k, d := range kept {
		outShape[k] = shape[d]
	}
	strides := dense.Strides(shape)
	koff, roff := redOffsets(shape, strides, kept), redOffsets(shape, strides, o.Axes)
	switch dt := x.Dtype(); {
	case graph.IsFloat(dt):
		v, buf, out := dense.F64(x), make([]float64, len(roff)), make([]float64, len(koff))
		for k, ko := range koff {
			for r, ro := range roff {
				buf[r] = v[ko+ro]
			}
			out[k] = s.f(buf)
		}
		return dense.FromF64(dt, outShape, out), nil
	case dt == tensor.Int64 && s.i != nil:
		v, buf, out := dense.I64(x), make([]int64, len(roff)), make([]int64, len(koff))
		for k, ko := range koff {
			for r, ro := range roff {
				buf[r] = v[ko+ro]
			}
			out[k] = s.i(buf)
		}
		return dense.FromI64(outShape, out), nil
	default:
		return nil, fmt.Errorf("%s does not support %s", s.name, graph.DTypeName(dt))
	}
}

// Batch reduces the same dims of each example in place: every dim but the
// batch dim (or Axes shifted past it), with no transposes. The batch dim's
// position among the kept dims is the result's. Reducing no dims (a
// per-example scalar) is the identity and gives the operand itself.
func (o *Reduce) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if len(in) != 1 || len(bdim) != 1 {
		return nil, 0, fmt.Errorf("takes 1 operand, got %d", len(in))
	}
	x, bd := in[0], bdim[0]
	if bd < 0 || bd >= x.Rank() {
		return nil, 0, fmt.Errorf("batch dim %d of a rank-%d operand", bd, x.Rank())
	}
	axes := []int{}
	if o.Axes == nil {
		for d := 0; d < x.Rank(); d++ {
			if d != bd {
				axes = append(axes, d)
			}
		}
	} else {
		for _, a := range o.Axes {
			if a >= bd {
				a++
			}
			axes = append(axes, a)
		}
	}
	if len(axes) == 0 {
		return x, bd, nil
	}
	out := bd
	for _, a := range axes {
		if a < bd {
			out--
		}
	}
	return checked(graph.Apply(&Reduce{Kind: o.Kind, Axes: axes}, x), out)
}
