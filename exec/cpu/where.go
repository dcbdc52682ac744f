package cpu

import (
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
)

// where picks a or b per element by cond; any operand may be rank-0 (one
// element for all). It moves elements as words of their width, so every
// dtype takes the same loop, and blocks of elements go to the workers.
func where(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (*tensor.Dense, bool, error) {
	if len(args) != 3 || args[0].Dtype() != tensor.Bool || args[1].Dtype() != args[2].Dtype() {
		return nil, false, nil
	}
	shape := n.Shape()
	size := dense.Size(shape)
	var st [3]int // 0: a rank-0 operand, repeated
	for k, x := range args {
		switch {
		case len(x.Shape()) == 0 && x.Size() == 1:
		case slices.Equal(dense.Shape(x), shape):
			st[k] = 1
		default:
			return nil, false, nil
		}
	}
	c := dense.Contiguous(args[0]).Bools()
	a, ok := elemsOf(dense.Contiguous(args[1]))
	b, _ := elemsOf(dense.Contiguous(args[2]))
	if !ok {
		return nil, false, nil
	}
	// The donor may be a or b: each element is read before it is written.
	out := reuse(donor, args[1].Dtype(), shape)
	d, _ := elemsOf(out)
	if size == 0 {
		return out, true, nil
	}
	parallel.For(size, copyMinBytes/d.es, func(lo, hi int) {
		switch d.es {
		case 4:
			pick(words[uint32](d.b), c, words[uint32](a.b), words[uint32](b.b), st, lo, hi)
		case 8:
			pick(words[uint64](d.b), c, words[uint64](a.b), words[uint64](b.b), st, lo, hi)
		default:
			pick(d.b, c, a.b, b.b, st, lo, hi)
		}
	})
	return out, true, nil
}

// pick is branch-free: a random condition mispredicts half its branches,
// which made a branchy loop ~10× slower than the copy it is. A bool is one
// byte holding 0 or 1, so the condition is read as bytes.
func pick[W uint8 | uint32 | uint64](d []W, c []bool, a, b []W, st [3]int, lo, hi int) {
	cb := asBytes(c)
	if st == [3]int{1, 1, 1} {
		d = d[lo:hi]
		cb, a, b = cb[lo:hi], a[lo:hi], b[lo:hi]
		cb, a, b = cb[:len(d)], a[:len(d)], b[:len(d)]
		for i := range d {
			m := -W(cb[i]) // all ones where c
			d[i] = b[i] ^ ((a[i] ^ b[i]) & m)
		}
		return
	}
	for i := lo; i < hi; i++ {
		m := -W(cb[i*st[0]])
		x, y := a[i*st[1]], b[i*st[2]]
		d[i] = y ^ ((x ^ y) & m)
	}
}
