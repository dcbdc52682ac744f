// Package cpu is loom's CPU backend: fast kernels over row-major buffers that
// loom owns, run on a fixed pool of workers (one per core). It receives
// programs whose loops are already lowered into batched primitives; each node
// runs with a kernel chosen by its op (GEMM through OpenBLAS or loom's own
// assembly, batched small solves, elementwise and softmax loops, copy-free
// reshapes), and falls back to the op's reference rule where no kernel
// exists yet. Loops that lowering kept (ops without a batching rule) run in
// parallel over their indices.
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
	for i, n := range order {
		if _, done := env[n]; done {
			continue
		}
		in := n.Inputs()
		args := make([]*tensor.Dense, len(in))
		for k, x := range in {
			args[k] = env[x]
		}
		start := time.Now()
		v, err := b.node(n, args)
		if profile {
			fmt.Fprintf(os.Stderr, "loom: %8.3f ms  %%%d %s %s\n", time.Since(start).Seconds()*1e3, n.ID(), n.Op().Name(), n.Type())
		}
		if err != nil {
			if _, ok := err.(*graph.RunError); !ok {
				err = &graph.RunError{Node: n, Err: err}
			}
			return err
		}
		env[n] = v
		for _, x := range in {
			if last[x] == i {
				delete(env, x)
			}
		}
	}
	return nil
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
func (b Backend) node(n *graph.Node, args []*tensor.Dense) (*tensor.Dense, error) {
	if l, ok := n.Op().(*graph.LoopOp); ok {
		return loop(l, args)
	}
	if k := kernelFor(n); k != nil {
		if v, ok, err := k(n, args); ok || err != nil {
			return v, err
		}
	}
	return n.Op().Eval(args)
}

// A kernel runs one node; ok false means "not this case", so the reference
// rule runs instead.
type kernel func(n *graph.Node, args []*tensor.Dense) (v *tensor.Dense, ok bool, err error)

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
