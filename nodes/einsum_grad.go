package nodes

import (
	"fmt"
	"strings"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// VJP: each operand's cotangent is an Einsum of the cotangent with the other
// operands, onto that operand's letters. Two cases need more than that:
//   - a letter repeated within the operand's term (a diagonal, "ii->i"):
//     its repeats are renamed to fresh letters tied to the first by identity
//     matrices, so the cotangent lands on the diagonal and zeros elsewhere;
//   - a letter of the operand found in no other term (summed away, "ij->i"):
//     the cotangent does not depend on it and is repeated along it.
//
// A rank-0 cotangent multiplies the Einsum of the others instead of joining
// it.
func (o *EinsumOp) VJP(in []*graph.Node, _, ct *graph.Node) ([]*graph.Node, error) {
	if err := arity(o, in, len(o.Inputs)); err != nil {
		return nil, err
	}
	gs := make([]*graph.Node, len(in))
	if len(in) == 0 || !floaty(in[0]) {
		return gs, nil
	}
	for k := range in {
		g, err := o.grad(k, in, ct)
		if err != nil {
			return nil, err
		}
		gs[k] = g
	}
	return grads(o, gs...)
}

// grad is operand k's cotangent.
func (o *EinsumOp) grad(k int, in []*graph.Node, ct *graph.Node) (*graph.Node, error) {
	x, term := in[k], o.Inputs[k]
	used := map[byte]bool{}
	for _, t := range append(append([]string{}, o.Inputs...), o.Output) {
		for d := 0; d < len(t); d++ {
			used[t[d]] = true
		}
	}
	var terms []string
	var args []*graph.Node
	if o.Output != "" {
		terms, args = append(terms, o.Output), append(args, ct)
	}
	for j, t := range o.Inputs {
		if j != k {
			terms, args = append(terms, t), append(args, in[j])
		}
	}
	renamed := []byte(term)
	seen := map[byte]bool{}
	for d := 0; d < len(term); d++ {
		c := term[d]
		if !seen[c] {
			seen[c] = true
			continue
		}
		f, ok := esFresh(used)
		if !ok {
			return nil, fmt.Errorf("%w: Einsum %q: no letter left to untie the repeated %c", graph.ErrNoGradient, o.Spec, c)
		}
		renamed[d] = f
		terms = append(terms, string([]byte{c, f}))
		args = append(args, esEye(x, x.Dim(d)))
	}
	have := map[byte]bool{}
	for _, t := range terms {
		for d := 0; d < len(t); d++ {
			have[t[d]] = true
		}
	}
	var outL []byte
	var kept []int
	for d, c := range renamed {
		if have[c] {
			outL, kept = append(outL, c), append(kept, d)
		}
	}
	g := ct // rank-0 here when there is nothing to contract
	if len(terms) > 0 {
		op := &EinsumOp{Inputs: terms, Output: string(outL)}
		op.Spec = strings.Join(terms, ",") + "->" + op.Output
		g = graph.Apply(op, args...)
		if o.Output == "" {
			g = Mul(g, ct)
		}
	}
	return bcastKept(g, x.Shape(), kept), nil
}

// esFresh picks a letter not in used and marks it used.
func esFresh(used map[byte]bool) (byte, bool) {
	for _, l := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		if !used[l] {
			used[l] = true
			return l, true
		}
	}
	return 0, false
}

// esEye is the n×n identity in x's dtype.
func esEye(x *graph.Node, n int) *graph.Node {
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	return x.Graph().Const(dense.FromF64(x.DType(), []int{n, n}, v))
}
