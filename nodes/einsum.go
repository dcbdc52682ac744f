package nodes

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Einsum is Einstein summation over float operands of one dtype, with
// NumPy's spec language: one term of letters per operand, each letter naming
// a dim, "->" then the output's letters ("ij,jk->ik", "bij,bjk->bik",
// "ii->i", "ij->"). Letters repeated across or within terms must have equal
// sizes; letters absent from the output are summed over. Without "->", the
// output is the letters used exactly once, in alphabetical order (uppercase
// first). Ellipses ("...") are not supported: loop over extra dims instead.
func Einsum(spec string, xs ...*graph.Node) *graph.Node {
	op, err := esParse(spec)
	if err != nil {
		var g *graph.Graph
		for _, x := range xs {
			if x != nil && x.Graph() != nil {
				g = x.Graph()
				break
			}
		}
		return g.Fail("Einsum", "%v", err)
	}
	return graph.Apply(op, xs...)
}

// EinsumOp is the op behind Einsum. Spec is the explicit form of the spec
// ("ij,jk->ik"); Inputs and Output are its terms.
type EinsumOp struct {
	Spec   string
	Inputs []string
	Output string
}

func (*EinsumOp) Name() string    { return "Einsum" }
func (o *EinsumOp) Attrs() string { return fmt.Sprintf("%q", o.Spec) }

// esParse checks a spec and makes its op; its errors are about the spec
// alone (operands are checked by Infer).
func esParse(spec string) (*EinsumOp, error) {
	s := strings.Join(strings.Fields(spec), "")
	if strings.Contains(s, "...") {
		return nil, fmt.Errorf("spec %q: ellipsis (...) is not supported: loop over extra dims with vmap.For", spec)
	}
	lhs, rhs, explicit := strings.Cut(s, "->")
	if explicit && strings.Contains(rhs, "->") {
		return nil, fmt.Errorf("spec %q has more than one \"->\"", spec)
	}
	terms := strings.Split(lhs, ",")
	count := map[byte]int{}
	for _, term := range terms {
		for k := 0; k < len(term); k++ {
			c := term[k]
			if !esLetter(c) {
				return nil, fmt.Errorf("spec %q: bad character %q: use letters a-z and A-Z, ',' between operands and \"->\" before the output", spec, c)
			}
			count[c]++
		}
	}
	var out []byte
	if explicit {
		seen := map[byte]bool{}
		for k := 0; k < len(rhs); k++ {
			c := rhs[k]
			switch {
			case !esLetter(c):
				return nil, fmt.Errorf("spec %q: bad character %q in the output: use letters a-z and A-Z", spec, c)
			case seen[c]:
				return nil, fmt.Errorf("spec %q: output letter %c appears twice", spec, c)
			case count[c] == 0:
				return nil, fmt.Errorf("spec %q: output letter %c appears in no operand", spec, c)
			}
			seen[c] = true
			out = append(out, c)
		}
	} else {
		for c, n := range count {
			if n == 1 {
				out = append(out, c)
			}
		}
		sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	}
	op := &EinsumOp{Inputs: terms, Output: string(out)}
	op.Spec = strings.Join(terms, ",") + "->" + op.Output
	return op, nil
}

func esLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Batch names the loop axis with a letter the spec does not use, placed at
// each batched operand's batch dim and at the front of the output: one new
// Einsum, which batches the same way again.
func (o *EinsumOp) Batch(in []*graph.Node, bdim []int) (*graph.Node, int, error) {
	used := map[rune]bool{}
	for _, c := range o.Spec {
		used[c] = true
	}
	var c string
	for _, l := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		if !used[l] {
			c = string(l)
			break
		}
	}
	if c == "" {
		return nil, 0, fmt.Errorf("%w: spec %q uses every letter, none is left for the loop axis", graph.ErrNoBatchRule, o.Spec)
	}
	op := &EinsumOp{Inputs: make([]string, len(o.Inputs)), Output: c + o.Output}
	for k, term := range o.Inputs {
		op.Inputs[k] = term
		if d := bdim[k]; d > len(term) {
			return nil, 0, fmt.Errorf("operand %d: batch dim %d of a %d-letter term %q", k, d, len(term), term)
		} else if d >= 0 {
			op.Inputs[k] = term[:d] + c + term[d:]
		}
	}
	op.Spec = strings.Join(op.Inputs, ",") + "->" + op.Output
	return checked(graph.Apply(op, in...), 0)
}

// esSizes checks the operands against the spec and returns each letter's
// size and, where a dim carries one, its axis label.
func (o *EinsumOp) esSizes(in []graph.Type) (map[byte]int, map[byte]*graph.Axis, error) {
	if len(in) != len(o.Inputs) {
		return nil, nil, fmt.Errorf("spec %q has %d operands, got %d", o.Spec, len(o.Inputs), len(in))
	}
	if err := laArity(in, len(in)); err != nil {
		return nil, nil, err
	}
	if err := laSameFloat(in); err != nil {
		return nil, nil, err
	}
	type where struct{ op, dim int }
	size := map[byte]int{}
	first := map[byte]where{}
	label := map[byte]*graph.Axis{}
	for k, term := range o.Inputs {
		x := in[k]
		if len(term) != x.Rank() {
			return nil, nil, fmt.Errorf("spec %q: operand %d is %s, %d dims, but its term %q has %d letters", o.Spec, k, x.Dims(), x.Rank(), term, len(term))
		}
		for d := 0; d < len(term); d++ {
			c := term[d]
			if w, ok := first[c]; ok {
				if size[c] != x.Shape[d] {
					return nil, nil, fmt.Errorf("spec %q: letter %c is %d in operand %d %s but %d in operand %d %s", o.Spec, c, size[c], w.op, in[w.op].Dims(), x.Shape[d], k, x.Dims())
				}
			} else {
				first[c] = where{k, d}
				size[c] = x.Shape[d]
			}
			if label[c] == nil {
				label[c] = x.Label(d)
			}
		}
	}
	return size, label, nil
}

func (o *EinsumOp) Infer(in []graph.Type) (graph.Type, error) {
	size, label, err := o.esSizes(in)
	if err != nil {
		return graph.Type{}, err
	}
	t := graph.Type{DType: in[0].DType, Shape: []int{}, Labels: []*graph.Axis{}}
	for k := 0; k < len(o.Output); k++ {
		c := o.Output[k]
		t.Shape = append(t.Shape, size[c])
		t.Labels = append(t.Labels, label[c])
	}
	return t, nil
}

// Eval visits every combination of the letters' indices, output letters
// first, adding each product of operand elements into its output element.
func (o *EinsumOp) Eval(in []*tensor.Dense) (*tensor.Dense, error) {
	types := laTypesOf(in)
	t, err := o.Infer(types)
	if err != nil {
		return nil, err
	}
	size, _, _ := o.esSizes(types)
	letters := []byte(o.Output)
	for _, term := range o.Inputs {
		for k := 0; k < len(term); k++ {
			if strings.IndexByte(string(letters), term[k]) < 0 {
				letters = append(letters, term[k])
			}
		}
	}
	pos := map[byte]int{}
	dims := make([]int, len(letters))
	total := 1
	for k, c := range letters {
		pos[c] = k
		dims[k] = size[c]
		total *= size[c]
	}
	// strides[j][k]: how far operand j's offset moves per step of letter k
	// (summed over repeats, which walks a diagonal); operand len(in) is the
	// output.
	terms := append(append([]string{}, o.Inputs...), o.Output)
	strides := make([][]int, len(terms))
	for j, term := range terms {
		strides[j] = make([]int, len(letters))
		var shape []int
		for d := 0; d < len(term); d++ {
			shape = append(shape, size[term[d]])
		}
		st := dense.Strides(shape)
		for d := 0; d < len(term); d++ {
			strides[j][pos[term[d]]] += st[d]
		}
	}
	data := make([][]float64, len(in))
	for j, x := range in {
		data[j] = dense.F64(x)
	}
	out := make([]float64, dense.Size(t.Shape))
	idx := make([]int, len(letters))
	for it := 0; it < total; it++ {
		p := 1.0
		for j := range data {
			off := 0
			for k, i := range idx {
				off += i * strides[j][k]
			}
			p *= data[j][off]
		}
		off := 0
		for k, i := range idx {
			off += i * strides[len(in)][k]
		}
		out[off] += p
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < dims[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dense.FromF64(t.DType, t.Shape, out), nil
}
