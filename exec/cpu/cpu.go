// Package cpu is loom's CPU backend. Today it evaluates ops with their
// reference rules and runs each top-level loop in parallel over its indices,
// split into one contiguous block per core; loops are lowered into batched
// kernels by the optimizer in a later step.
package cpu

import (
	"runtime"
	"sync"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
)

// Backend runs programs on the host's cores.
type Backend struct {
	// Workers is the number of goroutines a loop is split over; 0 means
	// GOMAXPROCS.
	Workers int
}

// Name is "cpu".
func (Backend) Name() string { return "cpu" }

// Run evaluates order; env holds the feeds and receives every value.
func (b Backend) Run(order []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	for _, n := range order {
		if _, done := env[n]; done {
			continue
		}
		loop, ok := n.Op().(*graph.LoopOp)
		if !ok {
			if err := graph.Interpret([]*graph.Node{n}, env); err != nil {
				return err
			}
			continue
		}
		in := n.Inputs()
		args := make([]*tensor.Dense, len(in))
		for k, x := range in {
			args[k] = env[x]
		}
		v, err := b.loop(loop, args)
		if err != nil {
			return err
		}
		env[n] = v
	}
	return nil
}

// loop runs the body for every index, each worker owning a contiguous block
// of indices and writing only its own slices of the result, so the output is
// the same whatever the scheduling. The first error by index wins, so errors
// are deterministic too.
func (b Backend) loop(l *graph.LoopOp, in []*tensor.Dense) (*tensor.Dense, error) {
	rt := l.Body.Result.Type()
	out := dense.Zeros(rt.DType, append([]int{l.Size}, rt.Shape...))
	workers := b.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, l.Size)
	if workers <= 1 {
		return l.Eval(in)
	}
	errs := make([]error, l.Size)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*l.Size/workers, (w+1)*l.Size/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				r, err := l.Body.Eval(l.Args(in, i))
				if err != nil {
					errs[i] = err
					return
				}
				dense.Put(out, 0, i, r)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
