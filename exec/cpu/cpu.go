package cpu

import (
	"fmt"
	"os"
	"time"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
)

// profile (LOOM_PROFILE=1) prints each kernel's time to stderr.
var profile = os.Getenv("LOOM_PROFILE") != ""

// Backend runs programs on the host's cores.
type Backend struct{}

// Name is "cpu".
func (Backend) Name() string { return "cpu" }

// Run evaluates order; env holds the feeds and receives the outputs. Each
// intermediate is dropped as soon as its last consumer has run, so the
// garbage collector can reuse it within the same run.
func (b Backend) Run(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	last := LastUse(order, outs)
	// refs counts the env entries holding each buffer (reshapes share one);
	// feeds and constants are pinned: never overwritten.
	refs := map[uintptr]int{}
	for _, t := range env {
		refs[dense.Backing(t)] += pinned
	}
	for i, n := range order {
		if _, done := env[n]; done {
			continue
		}
		in := n.Inputs()
		args := make([]*tensor.Dense, len(in))
		var donor *tensor.Dense
		for k, x := range in {
			args[k] = env[x]
			if last[x] == i && refs[dense.Backing(args[k])] == 1 && donor == nil {
				donor = args[k]
			}
		}
		start := time.Now()
		v, err := b.node(n, args, donor)
		if profile {
			fmt.Fprintf(os.Stderr, "loom: %8.3f ms  %%%d %s %s\n", time.Since(start).Seconds()*1e3, n.ID(), n.Op().Name(), n.Type())
		}
		if err != nil {
			if _, ok := err.(*graph.RunError); !ok {
				err = &graph.RunError{Node: n, Err: err}
			}
			return err
		}
		if _, isConst := n.Op().(*graph.Const); isConst {
			refs[dense.Backing(v)] += pinned
		}
		env[n] = v
		refs[dense.Backing(v)]++
		for _, x := range in {
			if t, ok := env[x]; ok && last[x] == i {
				refs[dense.Backing(t)]--
				delete(env, x)
			}
		}
	}
	return nil
}

const pinned = 1 << 30

// reuse returns donor as the output buffer when it fits (a dead operand whose
// buffer nothing else holds: elementwise kernels write in place), else a new
// zeroed buffer.
func reuse(donor *tensor.Dense, dt tensor.Dtype, shape []int) *tensor.Dense {
	if donor != nil && donor.Dtype() == dt && donor.Size() == dense.Size(shape) && !donor.IsView() && donor.Size() > 0 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dense.Raw(donor)))
	}
	return dense.Zeros(dt, shape)
}

// LastUse maps each node of order to the index of its last consumer; outputs
// (and nodes nobody consumes) map to len(order), never released.
func LastUse(order, outs []*graph.Node) map[*graph.Node]int {
	last := make(map[*graph.Node]int, len(order))
	for i, n := range order {
		last[n] = len(order)
		for _, x := range n.Inputs() {
			last[x] = i
		}
	}
	for _, o := range outs {
		last[o] = len(order)
	}
	return last
}

// node runs one node with its kernel, or its reference rule.
func (b Backend) node(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (*tensor.Dense, error) {
	if l, ok := n.Op().(*graph.LoopOp); ok {
		return loop(l, args)
	}
	if k := kernelFor(n); k != nil {
		if v, ok, err := k(n, args, donor); ok || err != nil {
			return v, err
		}
	}
	return n.Op().Eval(args)
}

// A kernel runs one node; ok false means "not this case", so the reference
// rule runs instead.
// donor, when not nil, is a dead operand's buffer the kernel may write its
// result into.
type kernel func(n *graph.Node, args []*tensor.Dense, donor *tensor.Dense) (v *tensor.Dense, ok bool, err error)

// loop runs a residual loop's body for every index, blocks of indices per
// worker, each writing only its own slices of the result, so the output is
// the same whatever the scheduling; the first error by index wins.
func loop(l *graph.LoopOp, in []*tensor.Dense) (*tensor.Dense, error) {
	rt := l.Body.Result.Type()
	out := dense.Zeros(rt.DType, append([]int{l.Size}, rt.Shape...))
	errs := make([]error, l.Size)
	parallel.For(l.Size, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r, err := l.Body.Eval(l.Args(in, i))
			if err != nil {
				errs[i] = err
				return
			}
			dense.Put(out, 0, i, r)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
