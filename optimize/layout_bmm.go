package optimize

import (
	"slices"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// A stop is a value a matrix product could read an operand from: the
// operand is view applied to node, times factor.
type stop struct {
	node   *graph.Node
	view   *view
	factor float64
}

// logical is the view from a product's physical operand x to the stack of
// matrices it multiplies, given the op's batch permutation and trans flag.
func logical(x *graph.Node, perm []int, trans bool) *view {
	v := newView(x.Shape())
	if v == nil || x.Rank() < 2 {
		return nil
	}
	r := x.Rank()
	if perm != nil {
		p := append(slices.Clone(perm), r-2, r-1)
		v = v.transpose(p)
	}
	if trans {
		p := identity(r)
		p[r-2], p[r-1] = r-1, r-2
		v = v.transpose(p)
	}
	return v
}

// stops lists, shallowest first, the values under x that a product could
// read instead: through reshapes and transposes, and through scales and
// negations (folded into alpha) when scales is set.
func stops(x *graph.Node, v *view, scales bool) []stop {
	out := []stop{{x, v, 1}}
	f := 1.0
	for {
		var w *view
		switch op := x.Op().(type) {
		case *nodes.TransposeOp, *nodes.ReshapeOp, *nodes.RavelOp:
			w = v.through(x)
		case *nodes.Unary:
			switch {
			case !scales:
			case op.Kind == nodes.UnScale && op.C != 0:
				w, f = v, f*op.C
			case op.Kind == nodes.UnNeg:
				w, f = v, -f
			}
		}
		if w == nil {
			return out
		}
		v, x = w, x.Inputs()[0]
		out = append(out, stop{x, v, f})
	}
}

// An operand is how a product reads one side: src reshaped to phys, batch
// dims permuted by perm, matrices transposed if trans.
type operand struct {
	src   *graph.Node
	phys  []int
	perm  []int
	trans bool
	copy  *view // when set, the operand is this view of src, copied
}

// current is the operand a product reads now.
func current(x *graph.Node, perm []int, trans bool) operand {
	return operand{src: x, phys: x.Shape(), perm: perm, trans: trans}
}

// node is the operand's value, reusing was when it is that value already.
func (o operand) node(was *graph.Node) *graph.Node {
	switch {
	case o.copy != nil:
		return o.copy.build(o.src, nil)
	case was != nil && o.same(was):
		return was
	}
	return reshapeTo(o.src, o.phys, nil)
}

// same reports whether x is already o's value.
func (o operand) same(x *graph.Node) bool {
	if o.copy != nil || !slices.Equal(x.Shape(), o.phys) {
		return false
	}
	if x == o.src {
		return true
	}
	_, ok := x.Op().(*nodes.ReshapeOp)
	return ok && x.Inputs()[0] == o.src
}

// deepest is the deepest stop whose view, after more (nil: none), a
// product reads in place.
func deepest(ss []stop, more func(*view) *view) (operand, float64, bool) {
	for k := len(ss) - 1; k >= 0; k-- {
		v := ss[k].view
		if more != nil {
			if v = more(v); v == nil {
				continue
			}
		}
		if phys, perm, trans, ok := v.operand(); ok {
			return operand{src: ss[k].node, phys: phys, perm: perm, trans: trans}, ss[k].factor, true
		}
	}
	return operand{}, 1, false
}

// copied is the operand as a copy of the deepest stop's view (after more),
// for when no stop can be read in place; cost is its size.
func copied(ss []stop, more func(*view) *view) (operand, int, bool) {
	for k := len(ss) - 1; k >= 0; k-- {
		v := ss[k].view
		if more != nil {
			if v = more(v); v == nil {
				continue
			}
		}
		return operand{src: ss[k].node, phys: v.outShape, copy: v}, v.elems(), true
	}
	return operand{}, 0, false
}

// asProduct is x's op as a BatchMatMulOp: itself, or a MatMul of two
// matrices (a product with no batch dims).
func asProduct(x *graph.Node) (*nodes.BatchMatMulOp, bool) {
	switch op := x.Op().(type) {
	case *nodes.BatchMatMulOp:
		return op, true
	case *nodes.MatMulOp:
		in := x.Inputs()
		if in[0].Rank() == 2 && in[1].Rank() == 2 {
			return &nodes.BatchMatMulOp{}, true
		}
	}
	return nil, false
}

// matmul lets a product read its operands in place, through layout chains
// and scales.
func (l *layouter) matmul(n *graph.Node, op *nodes.BatchMatMulOp) *graph.Node {
	in := n.Inputs()
	scales := graph.IsFloat(n.DType())
	alpha := op.Scale()
	sides := [2]operand{current(in[0], op.PermA, op.TransA), current(in[1], op.PermB, op.TransB)}
	changed := false
	for k, side := range sides {
		v := logical(in[k], side.perm, side.trans)
		if v == nil {
			continue
		}
		o, f, ok := deepest(stops(in[k], v, scales), nil)
		if !ok || f == 1 && o.same(in[k]) && slices.Equal(o.perm, side.perm) && o.trans == side.trans {
			continue
		}
		sides[k], alpha, changed = o, alpha*f, true
	}
	if !changed {
		return l.stack(n, op)
	}
	return apply(in, sides, alpha)
}

// stack turns a stack of products with one shared right-hand matrix (b
// repeated along every batch dim) into one taller product, when a's batch
// dims and rows can be read as rows in place: one GEMM instead of many thin
// ones (a loop's per-example products against a weight).
func (l *layouter) stack(n *graph.Node, op *nodes.BatchMatMulOp) *graph.Node {
	in := n.Inputs()
	nb := n.Rank() - 2
	a, b := logical(in[0], op.PermA, op.TransA), logical(in[1], op.PermB, op.TransB)
	if nb <= 0 || a == nil || b == nil {
		return nil
	}
	rows := 1
	for j := range nb {
		if b.outShape[j] != 1 {
			return nil
		}
		rows *= a.outShape[j]
	}
	if rows == 1 {
		return nil // one matrix already
	}
	shape := make([]int, nb+2)
	for j := range shape {
		shape[j] = 1
	}
	shape[nb], shape[nb+1] = rows*a.outShape[nb], a.outShape[nb+1]
	o, f, ok := deepest(stops(in[0], a, graph.IsFloat(n.DType())), func(w *view) *view { return w.reshape(shape) })
	if !ok {
		return nil
	}
	side := current(in[1], op.PermB, op.TransB)
	mm := apply([]*graph.Node{nil, in[1]}, [2]operand{o, side}, op.Scale()*f)
	return reshapeTo(mm, n.Shape(), n.Type().Labels)
}

// apply builds the product reading sides, reusing the old operands in
// where they are unchanged.
func apply(in []*graph.Node, s [2]operand, alpha float64) *graph.Node {
	mm := &nodes.BatchMatMulOp{TransA: s[0].trans, TransB: s[1].trans, PermA: s[0].perm, PermB: s[1].perm}
	if alpha != 1 {
		mm.Alpha = alpha
	}
	return graph.Apply(mm, s[0].node(in[0]), s[1].node(in[1]))
}

// product plans v applied to the product x: a product whose operands are
// read so that it writes v's result directly. v's last two dims are the
// product's rows and columns (or columns and rows: the operands swap),
// possibly only their minor parts, the major parts becoming batch dims; a
// batch dim the other operand repeats may join the rows or columns. An
// operand no stop of which can be read in place is copied (its size is the
// recipe's cost).
func (l *layouter) product(v *view, x *graph.Node, op *nodes.BatchMatMulOp) (recipe, bool) {
	r := len(v.out)
	nb := x.Rank() - 2
	if r < 2 || nb < 0 {
		return recipe{}, false
	}
	rows, cols := v.out[r-2], v.out[r-1]
	m, nn := v.in[nb], v.in[nb+1]
	if 4*min(v.outShape[r-2], v.outShape[r-1]) < min(x.Shape()[nb], x.Shape()[nb+1], 64) {
		return recipe{}, false // many thin GEMMs run far slower than the few they replace
	}
	left, right := 0, 1 // which operand supplies the result's rows, columns
	switch {
	case !overlaps(rows, nn) && !overlaps(cols, m):
	case !overlaps(rows, m) && !overlaps(cols, nn):
		left, right = 1, 0
	default:
		return recipe{}, false
	}
	batch := flat(v.out[:r-2])
	in := x.Inputs()
	perms, trans := [2][]int{op.PermA, op.PermB}, [2]bool{op.TransA, op.TransB}
	var got [2]operand
	cost := 0
	was := [2]*graph.Node{in[left], in[right]}
	for k, own := range [2][]int{rows, cols} {
		side := left
		if k == 1 {
			side = right
		}
		lv := logical(in[side], perms[side], trans[side])
		if lv == nil {
			return recipe{}, false
		}
		more := func(w *view) *view { return regroupOperand(w, v, nb, side, batch, own, k == 0) }
		ss := stops(in[side], lv, false)
		o, _, ok := deepest(ss, more)
		if !ok {
			var c int
			if o, c, ok = copied(ss, more); !ok {
				return recipe{}, false
			}
			cost += c
		}
		got[k] = o
	}
	shape := v.outShape
	return recipe{cost: cost, redo: []*graph.Node{x}, build: func(labels []*graph.Axis) *graph.Node {
		return reshapeTo(apply(was[:], got, op.Scale()), shape, labels)
	}}, true
}

// overlaps reports whether a and b share an element.
func overlaps(a, b []int) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// regroupOperand views operand side (0: [batch, m, k], 1: [batch, k, n]) of
// a product as an operand of the product that writes v's result: batch dims
// are v's batch rdims in order (size 1 where this side repeats), then own
// (this side's rows or columns in the result) and the contracted dim, in the
// order of a left operand (first) or a right one.
func regroupOperand(w, v *view, nb, side int, batch, own []int, first bool) *view {
	shape := w.outShape
	var split []int // the refined shape of the logical operand
	var label []int // the result's rdim each refined dim is, -1 for k
	for j := 0; j < nb; j++ {
		if shape[j] == 1 {
			continue
		}
		for _, id := range v.in[j] {
			split, label = append(split, v.size[id]), append(label, id)
		}
	}
	mine := v.in[nb+side]
	if side == 1 {
		split, label = append(split, shape[nb]), append(label, -1)
	}
	for _, id := range mine {
		split, label = append(split, v.size[id]), append(label, id)
	}
	if side == 0 {
		split, label = append(split, shape[nb+1]), append(label, -1)
	}
	if w = w.reshape(split); w == nil {
		return nil
	}
	at := map[int]int{}
	for k, id := range label {
		at[id] = k
	}
	var perm, final []int
	for _, id := range batch {
		if k, ok := at[id]; ok {
			perm = append(perm, k)
			final = append(final, v.size[id])
		} else {
			final = append(final, 1)
		}
	}
	size := 1
	var tail []int
	for _, id := range own {
		tail = append(tail, at[id])
		size *= v.size[id]
	}
	if first {
		perm = append(append(perm, tail...), at[-1])
		final = append(final, size, split[at[-1]])
	} else {
		perm = append(append(perm, at[-1]), tail...)
		final = append(final, split[at[-1]], size)
	}
	if len(perm) != len(split) {
		return nil // an rdim of this side lands nowhere
	}
	return w.transpose(perm).reshape(final)
}
