package cpu

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/memplan"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
	"github.com/loomtensor/loom/nodes"
)

// profile (LOOM_PROFILE=1) prints each kernel's time to stderr.
var profile = os.Getenv("LOOM_PROFILE") != ""

// Backend runs programs on the host's cores.
type Backend struct{}

// Name is "cpu".
func (Backend) Name() string { return "cpu" }

// Run evaluates order; env holds the feeds and receives the outputs. It
// plans the program's memory first (see Plan); a program compiled once
// (Compile) keeps its plan and reuses its buffers from run to run.
func (b Backend) Run(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	return NewPlan(order, outs).run(env, &arena{}, nil)
}

// Compiled is a Backend bound to one program and its Plan; Runs reuse the
// plan's arenas (one per concurrent Run), so steady-state runs allocate
// their outputs and little else.
type Compiled struct {
	plan *Plan
	mu   sync.Mutex
	free []*arena
}

// Compile plans order computing outs, once, and compiles its fused kernels;
// the donated inputs' buffers may be written over by RunDonated.
func (Backend) Compile(order, outs []*graph.Node, donated ...*graph.Node) *Compiled {
	p := &Compiled{plan: NewPlan(order, outs, donated...)}
	var keys []*nodes.Expr
	for _, n := range order {
		var e *nodes.Expr
		switch op := n.Op().(type) {
		case *nodes.FusedOp:
			e = &op.Expr
		case *nodes.FusedMatMulOp:
			e = &op.Epi.Expr
		default:
			continue
		}
		switch n.DType() {
		case tensor.Float32:
			progs.Store(e, compileExpr[float32](e))
		case tensor.Float64:
			progs.Store(e, compileExpr[float64](e))
		default:
			continue
		}
		keys = append(keys, e)
	}
	runtime.AddCleanup(p, func(keys []*nodes.Expr) {
		for _, k := range keys {
			progs.Delete(k)
		}
	}, keys)
	return p
}

// Name is "cpu".
func (*Compiled) Name() string { return "cpu" }

// Plan is the program's memory plan.
func (p *Compiled) Plan() *Plan { return p.plan }

// MemoryPlan is the buffer plan the program runs (exec/memplan).
func (p *Compiled) MemoryPlan() *memplan.Plan { return p.plan.Plan }

// DonorOf is the donated input whose memory n is written into, or nil.
func (p *Compiled) DonorOf(n *graph.Node) *graph.Node { return p.plan.DonorOf(n) }

// Run evaluates the compiled program (any other order runs as Backend's).
// It writes over no feed.
func (p *Compiled) Run(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense) error {
	return p.RunDonated(order, outs, env, nil)
}

// RunDonated is Run where the feeds of the donated inputs in donate (those
// the program was compiled with) may be written over where the plan says:
// their memory may hold outputs afterwards. The caller vouches that no
// other feed and no constant shares their memory.
func (p *Compiled) RunDonated(order, outs []*graph.Node, env map[*graph.Node]*tensor.Dense, donate map[*graph.Node]bool) error {
	if !slices.Equal(order, p.plan.order) || !slices.Equal(outs, p.plan.outs) {
		return Backend{}.Run(order, outs, env)
	}
	p.mu.Lock()
	var a *arena
	if k := len(p.free); k > 0 {
		a, p.free = p.free[k-1], p.free[:k-1]
	} else {
		a = &arena{}
	}
	p.mu.Unlock()
	err := p.plan.run(env, a, donate)
	p.mu.Lock()
	p.free = append(p.free, a)
	p.mu.Unlock()
	return err
}

// run evaluates the plan's order. Each node gets the buffer the plan gave
// it — an operand's, overwritten in place, or an arena slot — and each
// value is dropped from env after its last reader. The feeds of the
// plan's donated inputs that donate names may be written over.
func (p *Plan) run(env map[*graph.Node]*tensor.Dense, a *arena, donate map[*graph.Node]bool) error {
	a.size(p.SlotBytes())
	// refs counts the env entries holding each buffer (reshapes share one);
	// feeds and constants are pinned: never overwritten, but for donated
	// feeds, held like computed values.
	refs := map[uintptr]int{}
	for n, t := range env {
		if donate[n] && p.donated[n] {
			refs[dense.Backing(t)]++
		} else {
			refs[dense.Backing(t)] += pinned
		}
	}
	for i, n := range p.order {
		if _, done := env[n]; done {
			continue
		}
		in := n.Inputs()
		args := make([]*tensor.Dense, len(in))
		for k, x := range in {
			args[k] = env[x]
		}
		var dst *tensor.Dense
		over := false // dst is an operand
		if k := p.InPlace(i); k >= 0 {
			t := args[k]
			if refs[dense.Backing(t)] == 1 && !t.IsView() && (!p.Escapes(i) || a.owner(t) < 0) {
				dst, over = t, true
			}
		}
		if dst == nil && p.Slot(i) >= 0 {
			dst = a.tensor(p.Slot(i), n.DType(), n.Shape())
		}
		start := time.Now()
		var v *tensor.Dense
		var err error
		if _, mm := n.Op().(*nodes.FusedMatMulOp); over && mm {
			// Over an epilogue operand (a donated feed): the product
			// goes to scratch memory first.
			v, err = p.fusedMatMulOver(a, i, args, dst)
		} else {
			v, err = Backend{}.node(n, args, dst)
		}
		if profile {
			fmt.Fprintf(os.Stderr, "loom: %8.3f ms  %%%d %s %s\n", time.Since(start).Seconds()*1e3, n.ID(), n.Op().Name(), n.Type())
		}
		if err != nil {
			if _, ok := err.(*graph.RunError); !ok {
				err = &graph.RunError{Node: n, Err: err}
			}
			return err
		}
		// A value in arena memory the plan did not give it (a kernel that
		// returned a view of an operand) would outlive its slot: copy it.
		if s := a.owner(v); s >= 0 && (dst == nil || dense.Backing(v) != dense.Backing(dst)) && !(isView(n.Op()) && len(args) > 0 && dense.Backing(v) == dense.Backing(args[0])) {
			v = dense.Clone(v)
		}
		if _, isConst := n.Op().(*graph.Const); isConst {
			refs[dense.Backing(v)] += pinned
		}
		env[n] = v
		refs[dense.Backing(v)]++
		for _, x := range in {
			if t, ok := env[x]; ok && p.Last(p.at[x]) == i {
				refs[dense.Backing(t)]--
				delete(env, x)
			}
		}
	}
	return nil
}

const pinned = 1 << 30

// reuse returns dst as the output buffer when it fits (the buffer the plan
// gave the node: a dead operand's, or an arena slot; kernels using it write
// every element), else a new zeroed buffer.
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
// donor, when not nil, is the buffer the memory plan gave the node — a dead
// operand's (for kernels that may write in place) or an arena slot — which
// the kernel may write its whole result into (see reuse).
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
