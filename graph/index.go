package graph

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

type allIndex struct{}

func (allIndex) String() string { return ":" }

// All, as an At index, keeps a dim.
var All = allIndex{}

// Slice is an At index that keeps every step-th element of [Lo, Hi).
type Slice struct{ Lo, Hi, Step int }

// Span is the At index lo:hi:step (hi exclusive, step ≥ 1).
func Span(lo, hi, step int) Slice { return Slice{lo, hi, step} }

func (s Slice) String() string { return fmt.Sprintf("%d:%d:%d", s.Lo, s.Hi, s.Step) }

// Sel is one dim's part of a Select: keep it (Keep), drop it at an index
// (Drop), or slice it.
type Sel struct {
	Keep, Drop bool
	I          int // the index, for Drop
	S          Slice
}

func (s Sel) String() string {
	switch {
	case s.Keep:
		return ":"
	case s.Drop:
		return fmt.Sprint(s.I)
	}
	return s.S.String()
}

// Select is the static part of At: int indices and spans.
type Select struct {
	Sels []Sel
}

func (*Select) Name() string { return "At" }
func (o *Select) Attrs() string {
	p := make([]string, len(o.Sels))
	for k, s := range o.Sels {
		p[k] = s.String()
	}
	return "[" + strings.Join(p, ", ") + "]"
}

func (o *Select) Infer(in []Type) (Type, error) {
	x := in[0]
	if len(o.Sels) != x.Rank() {
		return Type{}, fmt.Errorf("%d indices for %d dims %s", len(o.Sels), x.Rank(), x.Dims())
	}
	t := Type{DType: x.DType}
	for k, s := range o.Sels {
		n := x.Shape[k]
		switch {
		case s.Keep:
			t.Shape = append(t.Shape, n)
			t.Labels = append(t.Labels, x.Label(k))
		case s.Drop:
			if s.I < 0 || s.I >= n {
				return Type{}, fmt.Errorf("index %d out of range [0,%d) for dim %d of %s", s.I, n, k, x.Dims())
			}
		default:
			if s.S.Step < 1 || s.S.Lo < 0 || s.S.Hi > n || s.S.Lo > s.S.Hi {
				return Type{}, fmt.Errorf("span %d:%d:%d does not fit dim %d of %s (want 0 ≤ lo ≤ hi ≤ %d, step ≥ 1)", s.S.Lo, s.S.Hi, s.S.Step, k, x.Dims(), n)
			}
			t.Shape = append(t.Shape, (s.S.Hi-s.S.Lo+s.S.Step-1)/s.S.Step)
			t.Labels = append(t.Labels, nil)
		}
	}
	return t, nil
}

func (o *Select) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	x := dense.Contiguous(in[0])
	picks := selOffsets(o.Sels, dense.Shape(x))
	var outShape []int
	for k, s := range o.Sels {
		if !s.Drop {
			outShape = append(outShape, len(picks[k]))
		}
	}
	out := dense.Zeros(x.Dtype(), outShape)
	if out.Size() == 0 {
		return out, nil
	}
	walkOffsets(picks, func(dst, src int) { dense.CopyElems(out, dst, x, src, 1) })
	return out, nil
}

// Gather indexes dim Dim of its first input by the int64 scalar second input.
type Gather struct {
	Dim int
}

func (*Gather) Name() string    { return "At" }
func (o *Gather) Attrs() string { return fmt.Sprintf("gather dim %d", o.Dim) }

func (o *Gather) Infer(in []Type) (Type, error) {
	x, i := in[0], in[1]
	if i.DType != tensor.Int64 || !i.IsScalar() {
		return Type{}, fmt.Errorf("index for dim %d of %s must be an int64 scalar, got %s", o.Dim, x.Dims(), i)
	}
	if o.Dim < 0 || o.Dim >= x.Rank() {
		return Type{}, fmt.Errorf("no dim %d in %s", o.Dim, x.Dims())
	}
	t := Type{DType: x.DType}
	for k, n := range x.Shape {
		if k != o.Dim {
			t.Shape = append(t.Shape, n)
			t.Labels = append(t.Labels, x.Label(k))
		}
	}
	return t, nil
}

func (o *Gather) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	i := dense.I64(in[1])[0]
	n := in[0].Shape()[o.Dim]
	if i < 0 || i >= int64(n) {
		return nil, &IndexError{Index: i, Size: n, Dim: o.Dim}
	}
	return dense.Take(in[0], o.Dim, int(i)), nil
}

// IndexError is a gather index out of range at run time.
type IndexError struct {
	Index int64
	Size  int
	Dim   int
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("index %d out of range [0,%d) for dim %d", e.Index, e.Size, e.Dim)
}

// At indexes x with one index per visible dim: an *Axis maps that dim over the
// loop axis, All keeps it, an int drops it, a Span slices it, and an int64
// scalar *Node gathers along it. Kept dims stay in their order.
func (x *Node) At(index ...any) *Node {
	if x == nil {
		return (*Graph)(nil).fail(callSite(), "At", "nil value")
	}
	g := x.g
	site := g.here()
	if x.err != nil {
		return &Node{g: x.g, err: x.err, site: site}
	}
	if x.scope != nil && x.scope.closed {
		_, err := g.bring(x, g.current())
		return g.fail(site, "At", "%v", err)
	}
	if len(index) != x.Rank() {
		return g.fail(site, "At", "%d indices for %d dims %s: give one per dim (graph.All keeps a dim)", len(index), x.Rank(), x.typ.Dims())
	}
	type axisAt struct {
		a   *Axis
		dim int
	}
	var axes []axisAt
	gathers := map[int]*Node{} // original dim -> index value
	sels := make([]Sel, len(index))
	for k, ix := range index {
		n := x.typ.Shape[k]
		sels[k] = Sel{Keep: true}
		switch v := ix.(type) {
		case *Axis:
			switch {
			case v == nil:
				return g.fail(site, "At", "index %d is a nil axis", k)
			case v.g != g:
				return g.fail(site, "At", "axis %s belongs to another graph", v.name)
			case v.active == nil:
				return g.fail(site, "At", "axis %s is not looped over here: index with it inside vmap.For(%s).Do (value %s)", v.name, v.name, x.typ.Dims())
			}
			axes = append(axes, axisAt{v, k})
		case allIndex:
		case int:
			sels[k] = Sel{Drop: true, I: v}
		case int64:
			sels[k] = Sel{Drop: true, I: int(v)}
		case int32:
			sels[k] = Sel{Drop: true, I: int(v)}
		case Slice:
			sels[k] = Sel{S: v}
		case *Node:
			switch {
			case v == nil:
				return g.fail(site, "At", "index %d is a nil node", k)
			case v.g != g:
				return g.fail(site, "At", "index %d belongs to another graph", k)
			case v.err != nil:
				return &Node{g: g, err: v.err, site: site}
			}
			gathers[k] = v
		default:
			return g.fail(site, "At", "index %d has type %T; want *graph.Axis, graph.All, int, graph.Span(...) or an int64 *graph.Node", k, ix)
		}
		if s := sels[k]; s.Drop && (s.I < 0 || s.I >= n) {
			return g.fail(site, "At", "index %d out of range [0,%d) for dim %d of %s", s.I, n, k, x.typ.Dims())
		}
	}
	// Axes first, outermost loop first: a value defined outside the loop over
	// a becomes a parameter mapped over a; one defined inside it is indexed by
	// a's value (a gather), which means the same thing.
	sort.SliceStable(axes, func(i, j int) bool { return axes[i].a.active.depth < axes[j].a.active.depth })
	val := x
	left := make([]int, x.Rank()) // original dims still present in val, in order
	for k := range left {
		left[k] = k
	}
	for _, ax := range axes {
		s := ax.a.active
		if val.scope != s && encloses(val.scope, s) {
			pos := indexOf(left, ax.dim)
			p, err := g.capture(val, s, pos)
			if err != nil {
				return g.fail(site, "At", "%v", err)
			}
			val = p
			left = append(left[:pos:pos], left[pos+1:]...)
			continue
		}
		if err := ax.a.fixSize(x.typ.Shape[ax.dim], fmt.Sprintf("dim %d of %s", ax.dim, x.typ.Dims())); err != nil {
			return g.fail(site, "At", "%v", err)
		}
		if _, dup := gathers[ax.dim]; !dup {
			gathers[ax.dim] = ax.a.Value()
		}
	}
	cur := g.current()
	val = g.thread(val, cur)
	// Then ints and spans over the dims left.
	rest := make([]Sel, len(left))
	static := false
	for k, d := range left {
		rest[k] = sels[d]
		static = static || !sels[d].Keep
	}
	if static {
		val = g.record(site, &Select{Sels: rest}, []*Node{val}, cur)
	}
	// Then gathers, last dim first so earlier positions stay put.
	var kept []int // original dims present after the static step
	for _, d := range left {
		if !sels[d].Drop {
			kept = append(kept, d)
		}
	}
	for p := len(kept) - 1; p >= 0; p-- {
		if idx, ok := gathers[kept[p]]; ok {
			val = apply(site, &Gather{Dim: p}, []*Node{val, idx})
		}
	}
	return val
}

func indexOf(xs []int, v int) int {
	for k, x := range xs {
		if x == v {
			return k
		}
	}
	return -1
}

// selOffsets lists, per dim of a value of shape, the element offsets the
// selection visits along it.
func selOffsets(sels []Sel, shape []int) [][]int {
	st := dense.Strides(shape)
	picks := make([][]int, len(shape))
	for k, s := range sels {
		switch {
		case s.Keep:
			for i := 0; i < shape[k]; i++ {
				picks[k] = append(picks[k], i*st[k])
			}
		case s.Drop:
			picks[k] = []int{s.I * st[k]}
		default:
			for i := s.S.Lo; i < s.S.Hi; i += s.S.Step {
				picks[k] = append(picks[k], i*st[k])
			}
		}
	}
	return picks
}

// walkOffsets visits, in row-major order, every combination of one offset
// per dim: visit(e, off) for the e-th, at the offsets' sum. No dim may be
// empty.
func walkOffsets(picks [][]int, visit func(e, off int)) {
	pos := make([]int, len(picks))
	for e := 0; ; e++ {
		off := 0
		for k := range pos {
			off += picks[k][pos[k]]
		}
		visit(e, off)
		k := len(pos) - 1
		for ; k >= 0; k-- {
			if pos[k]++; pos[k] < len(picks[k]) {
				break
			}
			pos[k] = 0
		}
		if k < 0 {
			return
		}
	}
}
