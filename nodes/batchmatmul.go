package nodes

import (
	"fmt"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// BatchMatMul multiplies stacks of matrices: a is [Ba..., m, k] ([Ba..., k, m]
// when transA), b is [Bb..., k, n] ([Bb..., n, k] when transB), and the result
// is [B..., m, n]. Both operands have the same number of batch dims (zero or
// more); each batch dim is equal on both sides or 1 on one side, which is
// repeated (NumPy matmul broadcasting over an explicit, equal number of batch
// dims). Float32, float64 and int64.
//
// It is the primitive that batching rules lower MatMul, Outer and friends to:
// a strided batched GEMM. User code multiplies stacks by looping instead.
func BatchMatMul(a, b *graph.Node, transA, transB bool) *graph.Node {
	return graph.Apply(&BatchMatMulOp{TransA: transA, TransB: transB}, a, b)
}

// BatchMatMulOp is the op behind BatchMatMul.
type BatchMatMulOp struct {
	TransA, TransB bool
	// PermA and PermB, when set, say that an operand arrives with its batch
	// dims permuted: its logical batch dim j is physical dim PermA[j]. The
	// optimizer sets them to absorb batch-dim transposes; the CPU kernel then
	// reads the operand with strides instead of copying it.
	PermA, PermB []int
	// Alpha scales the product (0 means 1): the optimizer folds a Scale of
	// the result into the GEMM's output pass.
	Alpha float64
}

// alpha is the product's scale.
func (o *BatchMatMulOp) alpha() float64 {
	if o.Alpha == 0 {
		return 1
	}
	return o.Alpha
}

// Scale returns the product's scale factor (1 when Alpha is unset).
func (o *BatchMatMulOp) Scale() float64 { return o.alpha() }

// plain is o without operand permutations.
func (o *BatchMatMulOp) plain() *BatchMatMulOp {
	return &BatchMatMulOp{TransA: o.TransA, TransB: o.TransB, Alpha: o.Alpha}
}

// bmPerm is the full-rank permutation for a batch-dim permutation p.
func bmPerm(p []int, rank int) []int {
	full := append([]int{}, p...)
	for k := len(p); k < rank; k++ {
		full = append(full, k)
	}
	return full
}

func bmPermType(t graph.Type, p []int) (graph.Type, error) {
	if p == nil {
		return t, nil
	}
	if len(p) != t.Rank()-2 {
		return graph.Type{}, fmt.Errorf("batch permutation %v for %s", p, t.Dims())
	}
	return (&TransposeOp{Perm: bmPerm(p, t.Rank())}).Infer([]graph.Type{t})
}

func (*BatchMatMulOp) Name() string { return "BatchMatMul" }

func (o *BatchMatMulOp) Attrs() string {
	var s []string
	if o.Alpha != 0 && o.Alpha != 1 {
		s = append(s, fmt.Sprintf("alpha %g", o.Alpha))
	}
	if o.PermA != nil {
		s = append(s, fmt.Sprintf("permA %v", o.PermA))
	}
	if o.PermB != nil {
		s = append(s, fmt.Sprintf("permB %v", o.PermB))
	}
	if o.TransA {
		s = append(s, "transA")
	}
	if o.TransB {
		s = append(s, "transB")
	}
	return strings.Join(s, " ")
}

// bmLayout is where m, k and n sit in the operands.
type bmLayout struct {
	nb, m, k, n int
	// element strides of a along m and k, and of b along k and n, inside one
	// matrix.
	am, ak, bk, bn int
}

func (o *BatchMatMulOp) layout(a, b graph.Type) (bmLayout, error) {
	ra, rb := a.Rank(), b.Rank()
	if ra < 2 || ra != rb {
		return bmLayout{}, fmt.Errorf("want operands with the same number of batch dims before two matrix dims, got %s × %s", a.Dims(), b.Dims())
	}
	nb := ra - 2
	l := bmLayout{nb: nb}
	r0, c0 := a.Shape[nb], a.Shape[nb+1]
	l.m, l.k, l.am, l.ak = r0, c0, c0, 1
	if o.TransA {
		l.m, l.k, l.am, l.ak = c0, r0, 1, c0
	}
	r1, c1 := b.Shape[nb], b.Shape[nb+1]
	kb := r1
	l.n, l.bk, l.bn = c1, c1, 1
	if o.TransB {
		kb, l.n, l.bk, l.bn = c1, r1, 1, c1
	}
	if l.k != kb {
		return bmLayout{}, fmt.Errorf("inner dims differ: %s%s × %s%s", a.Dims(), bmT(o.TransA), b.Dims(), bmT(o.TransB))
	}
	return l, nil
}

func bmT(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

func (o *BatchMatMulOp) Infer(in []graph.Type) (graph.Type, error) {
	if err := laArity(in, 2); err != nil {
		return graph.Type{}, err
	}
	a, err := bmPermType(in[0], o.PermA)
	if err != nil {
		return graph.Type{}, err
	}
	b, err := bmPermType(in[1], o.PermB)
	if err != nil {
		return graph.Type{}, err
	}
	if err := laSameNumeric(a, b); err != nil {
		return graph.Type{}, err
	}
	l, err := o.layout(a, b)
	if err != nil {
		return graph.Type{}, err
	}
	shape, labels, err := bcBatch(a, b, l.nb)
	if err != nil {
		return graph.Type{}, err
	}
	ma, nbd := l.nb, l.nb+1
	if o.TransA {
		ma = l.nb + 1
	}
	if o.TransB {
		nbd = l.nb
	}
	return graph.Type{
		DType:  a.DType,
		Shape:  append(shape, l.m, l.n),
		Labels: append(labels, a.Label(ma), b.Label(nbd)),
	}, nil
}

func (o *BatchMatMulOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	if o.PermA != nil || o.PermB != nil {
		xs := append([]*tensor.Dense(nil), in...)
		for k, p := range [][]int{o.PermA, o.PermB} {
			if p != nil {
				var err error
				if xs[k], err = (&TransposeOp{Perm: bmPerm(p, xs[k].Dims())}).Eval(xs[k : k+1]); err != nil {
					return nil, err
				}
			}
		}
		return o.plain().Eval(xs)
	}
	ts := laTypesOf(in)
	t, err := o.Infer(ts)
	if err != nil {
		return nil, err
	}
	l, _ := o.layout(ts[0], ts[1])
	batch := t.Shape[:l.nb]
	ia, ib := bcIndex(batch, ts[0].Shape[:l.nb]), bcIndex(batch, ts[1].Shape[:l.nb])
	sa, sb, sc := l.m*l.k, l.k*l.n, l.m*l.n
	if t.DType == tensor.Int64 {
		a, b := dense.I64(in[0]), dense.I64(in[1])
		c := make([]int64, len(ia)*sc)
		for i := range ia {
			bmGemm(c[i*sc:(i+1)*sc], a[ia[i]*sa:], b[ib[i]*sb:], l)
		}
		return dense.FromI64(t.Shape, c), nil
	}
	a, b := dense.F64(in[0]), dense.F64(in[1])
	c := make([]float64, len(ia)*sc)
	for i := range ia {
		bmGemm(c[i*sc:(i+1)*sc], a[ia[i]*sa:], b[ib[i]*sb:], l)
	}
	if al := o.alpha(); al != 1 {
		for i := range c {
			c[i] *= al
		}
	}
	return dense.FromF64(t.DType, t.Shape, c), nil
}

// bmGemm adds the product of one matrix pair, strided as l says, into c [m,n].
func bmGemm[E float64 | int64](c, a, b []E, l bmLayout) {
	for i := 0; i < l.m; i++ {
		row := c[i*l.n : (i+1)*l.n]
		for p := 0; p < l.k; p++ {
			av := a[i*l.am+p*l.ak]
			for j := range row {
				row[j] += av * b[p*l.bk+j*l.bn]
			}
		}
	}
}

// Batch makes the loop axis one more batch dim: batched operands keep it
// where it is when it already sits among the batch dims (else it moves to
// the front), a shared operand gets a size-1 dim there (a free reshape).
func (o *BatchMatMulOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	if o.PermA != nil || o.PermB != nil { // materialize the permutations first
		xs, bds := append([]*graph.Node(nil), in...), append([]int(nil), bdim...)
		for k, p := range [][]int{o.PermA, o.PermB} {
			if p == nil {
				continue
			}
			full := bmPerm(p, xs[k].Rank()-min(bds[k]+1, 1))
			if bds[k] >= 0 {
				full = slices.Insert(shiftFrom(full, bds[k]), bds[k], bds[k])
			}
			xs[k] = Transpose(xs[k], full...)
		}
		return o.plain().Batch(xs, bds)
	}
	nb := in[0].Rank() - 2
	if bdim[0] >= 0 {
		nb--
	}
	xs, p := alignBatch(in, bdim, nb)
	return checked(graph.Apply(&BatchMatMulOp{TransA: o.TransA, TransB: o.TransB, Alpha: o.Alpha}, xs...), p)
}

// alignBatch lifts operands that each have nb leading batch dims to nb+1, the
// loop axis becoming batch dim p of every one of them. p is the first batched
// operand's batch dim that already lies among (or right after) the batch dims,
// so that operand does not move; otherwise 0. Batched operands are moved to
// p (a no-op where they are there), shared ones get a size-1 dim at p by
// Reshape (free), for an op that repeats size-1 batch dims.
func alignBatch(in []*graph.Node, bdim []int, nb int) ([]*graph.Node, int) {
	p := 0
	for _, d := range bdim {
		if d >= 0 && d <= nb {
			p = d
			break
		}
	}
	out := make([]*graph.Node, len(in))
	for k, x := range in {
		if bdim[k] >= 0 {
			out[k] = MoveDim(x, bdim[k], p)
		} else {
			out[k] = insertOne(x, p)
		}
	}
	return out, p
}

// insertOne reshapes x to have a new size-1 dim at p, keeping dim labels.
func insertOne(x *graph.Node, p int) *graph.Node {
	s, t := x.Shape(), x.Type()
	labels := make([]*graph.Axis, 0, len(s)+1)
	for k := range s {
		labels = append(labels, t.Label(k))
	}
	shape := append(append(append([]int{}, s[:p]...), 1), s[p:]...)
	labels = append(labels[:p:p], append([]*graph.Axis{nil}, labels[p:]...)...)
	return reshapeL(x, shape, labels)
}

// reshapeL is Reshape with explicit labels for the result's dims, for rules
// that know which dims a reshape restores.
func reshapeL(x *graph.Node, shape []int, labels []*graph.Axis) *graph.Node {
	return graph.Apply(&ReshapeOp{Dims: append([]int{}, shape...), Labels: labels}, x)
}

// labelOf is dim k's label of x, or nil.
func labelOf(x *graph.Node, k int) *graph.Axis { return x.Type().Label(k) }

// bcBatch is the broadcast of the first nb dims of a and b: equal, or 1 on
// one side. Labels come from the side whose size is kept.
func bcBatch(a, b graph.Type, nb int) ([]int, []*graph.Axis, error) {
	shape := make([]int, nb)
	labels := make([]*graph.Axis, nb)
	for d := 0; d < nb; d++ {
		sa, sb := a.Shape[d], b.Shape[d]
		switch {
		case sa == sb || sb == 1:
			shape[d], labels[d] = sa, a.Label(d)
			if labels[d] == nil && sa == sb {
				labels[d] = b.Label(d)
			}
		case sa == 1:
			shape[d], labels[d] = sb, b.Label(d)
		default:
			return nil, nil, fmt.Errorf("batch dim %d differs: %s and %s (each batch dim must be equal or 1)", d, a.Dims(), b.Dims())
		}
	}
	return shape, labels, nil
}

// bcIndex lists, for each index of the batch shape out (row-major), the
// matching row-major index into the batch dims x, which are out's or 1.
func bcIndex(out, x []int) []int {
	st := dense.Strides(x)
	res := make([]int, dense.Size(out))
	idx := make([]int, len(out))
	for i := range res {
		off := 0
		for d, v := range idx {
			if x[d] != 1 {
				off += v * st[d]
			}
		}
		res[i] = off
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return res
}

// batchReshape lifts a reshape-like op over the batch dim bd of x: the
// batch dim moves to the front (free when it is there) and the example's
// result shape follows it.
func batchReshape(op graph.Op, x *graph.Node, bd int) (*graph.Node, int, error) {
	t := x.Type()
	ex := graph.Type{DType: t.DType, Shape: perExample(x, bd)}
	for k := range t.Shape {
		if k != bd {
			ex.Labels = append(ex.Labels, t.Label(k))
		}
	}
	et, err := op.Infer([]graph.Type{ex})
	if err != nil {
		return nil, 0, err
	}
	x = MoveDim(x, bd, 0)
	labels := append([]*graph.Axis{t.Label(bd)}, et.Labels...)
	if len(labels) != len(et.Shape)+1 {
		labels = nil
	}
	return checked(reshapeL(x, append([]int{x.Dim(0)}, et.Shape...), labels), 0)
}

// batchFrontAll brings every operand's batch dim to the front, repeating
// shared operands (Expand) for ops that need every operand batched.
func batchFrontAll(in []*graph.Node, bdim []int) ([]*graph.Node, error) {
	n, err := batchSize(in, bdim)
	if err != nil {
		return nil, err
	}
	xs := make([]*graph.Node, len(in))
	for k, x := range in {
		xs[k] = BatchFront(x, bdim[k], n)
	}
	return xs, nil
}

// shiftFrom adds one to every entry ≥ d (room for an inserted dim d).
func shiftFrom(p []int, d int) []int {
	out := make([]int, len(p))
	for k, v := range p {
		out[k] = v
		if v >= d {
			out[k]++
		}
	}
	return out
}
