package exec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec/cpu"
	"github.com/loomtensor/loom/graph"
)

// Donate gives the program the named inputs' buffers to write over (JAX's
// donate_argnums; NumPy's w -= lr*g): a value of the same size and dtype
// computed from a donated input after its last other reader is written
// into the input's memory instead of fresh memory — typically a training
// step's new weights over the old ones, and its new optimiser state over
// the old state.
//
// With Call, a donated input's *Value is consumed: the Call owns its
// memory, which may now hold a result, and any later use of the Value
// (Dense, another Call) is an error saying so. A Call that fails after its
// feeds were checked still consumes it. Feeding one Value under two names
// when either is donated is an error.
//
// With Run, the *tensor.Dense fed under a donated name may hold one of the
// outputs when Run returns: its contents are unspecified afterwards, and an
// output may share its memory (read the outputs, not the feed). A donated
// feed that shares memory with another feed or a constant is not written
// over. On CUDA, Run writes over its own uploaded copies and never the
// host tensor.
//
// Inputs that are not donated are never written over. The reference
// interpreter accepts the option and writes over nothing; Call's rules
// hold on every backend. Unknown names fail Compile.
func Donate(names ...string) Option {
	return func(c *config) { c.donate = append(c.donate, names...) }
}

// setDonated resolves Donate's names against the graph's inputs.
func (p *Program) setDonated(names []string) error {
	if len(names) == 0 {
		return nil
	}
	p.donated, p.donates = map[*graph.Node]bool{}, map[string]bool{}
	var unknown []string
	for _, name := range names {
		if in := p.byName[name]; in != nil {
			p.donated[in], p.donates[name] = true, true
		} else if q := fmt.Sprintf("%q", name); !slices.Contains(unknown, q) {
			unknown = append(unknown, q)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("exec: Compile: Donate: no input named %s (the graph's inputs are: %s)", strings.Join(unknown, ", "), strings.Join(slices.Sorted(slices.Values(p.names)), ", "))
	}
	return nil
}

// donatedInputs are Donate's inputs the optimized program reads.
func (p *Program) donatedInputs() []*graph.Node {
	var ins []*graph.Node
	for _, in := range p.inputs {
		if p.donated[in] && p.needed[in] {
			ins = append(ins, in)
		}
	}
	return ins
}

// span is a tensor's memory, [lo, hi).
type span struct{ lo, hi uintptr }

func spanOf(t *tensor.Dense) span {
	if t == nil || t.Size() == 0 {
		return span{}
	}
	lo := t.Uintptr()
	return span{lo, lo + t.MemSize()}
}

func (a span) overlaps(b span) bool { return a.lo < b.hi && b.lo < a.hi }

func constSpans(order []*graph.Node) []span {
	var s []span
	for _, n := range order {
		if c, ok := n.Op().(*graph.Const); ok {
			s = append(s, spanOf(c.Value))
		}
	}
	return s
}

// donatable picks the donated feeds of env that may be written over this
// run: those sharing no memory with another feed or a constant.
func (p *Program) donatable(env map[*graph.Node]*tensor.Dense) map[*graph.Node]bool {
	var ok map[*graph.Node]bool
next:
	for n := range p.donated {
		t, fed := env[n]
		if !fed || t.Size() == 0 {
			continue
		}
		s := spanOf(t)
		for m, u := range env {
			if m != n && s.overlaps(spanOf(u)) {
				continue next
			}
		}
		for _, c := range p.consts {
			if s.overlaps(c) {
				continue next
			}
		}
		if ok == nil {
			ok = map[*graph.Node]bool{}
		}
		ok[n] = true
	}
	return ok
}

// runBackend runs the program on env, writing over the donate feeds where
// the backend's plan says.
func (p *Program) runBackend(env map[*graph.Node]*tensor.Dense, donate map[*graph.Node]bool) error {
	if c, ok := p.backend.(*cpu.Compiled); ok {
		return c.RunDonated(p.order, p.outs, env, donate)
	}
	return p.backend.Run(p.order, p.outs, env)
}

// donorOf is the donated input whose memory the backend writes n into, or
// nil.
func (p *Program) donorOf(n *graph.Node) *graph.Node {
	if b, ok := p.backend.(planned); ok {
		return b.DonorOf(n)
	}
	return nil
}

// donations is Explain's line on Donate: each donated input and what the
// backend writes over it.
func (p *Program) donations() string {
	if len(p.donated) == 0 {
		return ""
	}
	reused := map[*graph.Node][]string{}
	for k, o := range p.outs {
		if d := p.donorOf(o); d != nil {
			reused[d] = append(reused[d], fmt.Sprintf("output %d", k))
		}
	}
	for _, n := range p.order {
		if d := p.donorOf(n); d != nil && d != n && len(reused[d]) == 0 {
			reused[d] = []string{"intermediates"}
		}
	}
	var items []string
	for _, in := range p.inputs {
		if !p.donated[in] {
			continue
		}
		name := in.Op().(*graph.Input).Label
		switch {
		case !p.needed[in]:
			items = append(items, name+" (not read)")
		case len(reused[in]) > 0:
			items = append(items, fmt.Sprintf("%s (%s in its memory)", name, strings.Join(reused[in], ", ")))
		default:
			items = append(items, name+" (not written over: no kernel that can write in place reads it last)")
		}
	}
	sort.Strings(items)
	return "donated: " + strings.Join(items, "; ") + "\n"
}
