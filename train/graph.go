package train

import (
	"fmt"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Update is one optimiser step built as graph nodes: the step is traced
// once into the program, so weights and optimiser state can stay on the
// backend (exec's Put and Call) and a training step moves only its batch and
// its loss. It is optax's init/update split for a compiled graph: Init is
// the state before the first step, Outputs the step.
//
// Compile [loss, u.Outputs()...] once; each step feeds the parameters and
// the state by name and hands the step's new values back with Carry.
// Compiling with exec.Donate(u.Names()...) lets the step write the new
// values over the old ones' memory (the Values Carry replaces are consumed).
type Update struct {
	// Params are the new parameter values, in the order they were given.
	Params []*graph.Node
	// State is the new optimiser state, in the order of StateInputs.
	State []*graph.Node
	// StateInputs are the state the step reads: graph inputs named
	// "<prefix>.<slot>/<parameter>" (moments, momentum buffers) or
	// "<prefix>.t" (Adam's step count, a float64 scalar).
	StateInputs []*graph.Node

	names []string                 // input names Outputs feed, in order
	init  map[string]*tensor.Dense // state before the first step
}

// Outputs are Params then State: the nodes to compile after the loss.
func (u *Update) Outputs() []*graph.Node {
	return append(slices.Clip(u.Params), u.State...)
}

// Names are the input names the Outputs feed on the next step, in Outputs
// order: the parameters' names, then the state's.
func (u *Update) Names() []string { return slices.Clone(u.names) }

// Init returns the state before the first step by input name: zero
// moments and buffers, a zero step count, and the learning rate's value
// when it is an input (LRInput). The tensors are new on every call.
func (u *Update) Init() map[string]*tensor.Dense {
	out := make(map[string]*tensor.Dense, len(u.init))
	for k, t := range u.init {
		out[k] = dense.Clone(t)
	}
	return out
}

// Carry stores a step's results outs — the program's outputs that follow
// the loss, in Outputs order — into feeds under their input names, ready
// for the next step. V is *exec.Value for Call or *tensor.Dense for Run.
func Carry[V any](u *Update, feeds map[string]V, outs []V) error {
	switch {
	case u == nil:
		return fmt.Errorf("train: Carry: nil Update")
	case feeds == nil:
		return fmt.Errorf("train: Carry: nil feeds map")
	case len(outs) != len(u.names):
		return fmt.Errorf("train: Carry: %d values for the update's %d outputs (pass the outputs after the loss, in Outputs order)", len(outs), len(u.names))
	}
	for k, n := range u.names {
		feeds[n] = outs[k]
	}
	return nil
}

// GraphOption configures an optimiser's Graph.
type GraphOption func(*graphConfig)

type graphConfig struct {
	prefix  string
	lrInput bool
}

// Prefix names the state inputs "<name>.<slot>/<parameter>" and
// "<name>.t" instead of the optimiser's default ("sgd", "adam" or
// "adamw"): two updates in one graph (parameter groups with different
// hyperparameters) need different prefixes.
func Prefix(name string) GraphOption { return func(c *graphConfig) { c.prefix = name } }

// LRInput makes the learning rate a float64 scalar input named
// "<prefix>.lr", fed on every step, so a schedule changes it without a
// new Compile. Init holds the optimiser's LR under that name.
func LRInput() GraphOption { return func(c *graphConfig) { c.lrInput = true } }

// builder is what SGD's and Adam's Graph share: the checked parameters'
// names and the state inputs made so far.
type builder struct {
	op, prefix string
	g          *graph.Graph
	pnames     []string
	u          *Update
}

// newBuilder checks params and grads: the same count, non-nil, params
// distinct float graph inputs of one graph, grads matching in dtype and shape.
func newBuilder(op, prefix string, params, grads []*graph.Node, opts []GraphOption) (*builder, *graphConfig, error) {
	c := &graphConfig{prefix: prefix}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.prefix == "" || strings.ContainsAny(c.prefix, "/\x00") {
		return nil, nil, fmt.Errorf("train: %s.Graph: prefix %q: want a non-empty name without '/'", op, c.prefix)
	}
	if len(params) != len(grads) {
		return nil, nil, fmt.Errorf("train: %s.Graph: %d params but %d grads", op, len(params), len(grads))
	}
	if len(params) == 0 {
		return nil, nil, fmt.Errorf("train: %s.Graph: no parameters", op)
	}
	b := &builder{op: op, prefix: c.prefix, u: &Update{init: map[string]*tensor.Dense{}}}
	seen := map[string]bool{}
	for k, p := range params {
		gr := grads[k]
		switch {
		case p == nil:
			return nil, nil, fmt.Errorf("train: %s.Graph: params[%d] is nil", op, k)
		case gr == nil:
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d] is nil", op, k)
		case p.Err() != nil:
			return nil, nil, fmt.Errorf("train: %s.Graph: params[%d]: %w", op, k, p.Err())
		case gr.Err() != nil:
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d]: %w", op, k, gr.Err())
		}
		in, ok := p.Op().(*graph.Input)
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("train: %s.Graph: params[%d] is a %s, not a graph input: the update feeds its new value back by the input's name", op, k, p.Op().Name())
		case b.g == nil:
			b.g = p.Graph()
		case p.Graph() != b.g:
			return nil, nil, fmt.Errorf("train: %s.Graph: params[%d] %q belongs to another graph than params[0]", op, k, in.Label)
		}
		switch {
		case gr.Graph() != b.g:
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d] belongs to another graph than the params", op, k)
		case !graph.IsFloat(p.DType()):
			return nil, nil, fmt.Errorf("train: %s.Graph: params[%d] %q has dtype %v; only float32 and float64 can be trained", op, k, in.Label, p.DType())
		case gr.DType() != p.DType():
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d] has dtype %v but params[%d] %q has %v", op, k, gr.DType(), k, in.Label, p.DType())
		case gr.InLoop():
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d] is a value inside a loop body; pass the gradient autodiff.Grad returns", op, k)
		case !slices.Equal(gr.Shape(), p.Shape()):
			return nil, nil, fmt.Errorf("train: %s.Graph: grads[%d] shape %v differs from params[%d] %q shape %v", op, k, gr.Shape(), k, in.Label, p.Shape())
		case seen[in.Label]:
			return nil, nil, fmt.Errorf("train: %s.Graph: parameter %q given twice", op, in.Label)
		}
		seen[in.Label] = true
		b.pnames = append(b.pnames, in.Label)
	}
	if err := b.g.Err(); err != nil {
		return nil, nil, err
	}
	return b, c, nil
}

// free checks that the graph has no input called name yet: the graph would
// only record a build error at this package's line.
func (b *builder) free(name string) error {
	for _, in := range b.g.Inputs() {
		if in.Op().(*graph.Input).Label == name {
			return fmt.Errorf("train: %s.Graph: the graph already has an input %q (a second update in one graph needs another Prefix)", b.op, name)
		}
	}
	return nil
}

// state declares the state input name with dtype dt and shape dims, zero
// at the start, and returns it.
func (b *builder) state(name string, dt tensor.Dtype, dims ...int) (*graph.Node, error) {
	if err := b.free(name); err != nil {
		return nil, err
	}
	n := b.g.Input(name, dt, dims...)
	if err := n.Err(); err != nil {
		return nil, err
	}
	b.u.StateInputs = append(b.u.StateInputs, n)
	b.u.init[name] = dense.Zeros(dt, dims)
	return n, nil
}

// lr is the learning rate as a float64 scalar: a constant, or the input
// "<prefix>.lr" under LRInput.
func (b *builder) lr(c *graphConfig, v float64) (*graph.Node, error) {
	if !c.lrInput {
		return b.g.Scalar(v, tensor.Float64), nil
	}
	name := b.prefix + ".lr"
	if err := b.free(name); err != nil {
		return nil, err
	}
	n := b.g.Input(name, tensor.Float64)
	b.u.init[name] = dense.FromF64(tensor.Float64, nil, []float64{v})
	return n, n.Err()
}

// finish records the new parameters and state and checks the graph.
func (b *builder) finish(params, state []*graph.Node) (*Update, error) {
	u := b.u
	u.Params, u.State = params, state
	u.names = slices.Clone(b.pnames)
	for _, s := range u.StateInputs {
		u.names = append(u.names, s.Op().(*graph.Input).Label)
	}
	for _, n := range u.Outputs() {
		if err := n.Err(); err != nil {
			return nil, err
		}
	}
	return u, b.g.Err()
}

// Graph builds one SGD step as graph nodes (see Update): params are the
// parameters' graph inputs, grads the loss's gradients with respect to them
// (autodiff.Grad). The state is one momentum buffer "<prefix>.buf/<param>"
// per parameter when Momentum is not zero, none otherwise. N steps of the
// program equal N Steps of the same SGD on the host.
func (o *SGD) Graph(params, grads []*graph.Node, opts ...GraphOption) (*Update, error) {
	if o == nil {
		return nil, fmt.Errorf("train: SGD.Graph: nil *SGD")
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	b, c, err := newBuilder("SGD", "sgd", params, grads, opts)
	if err != nil {
		return nil, err
	}
	lr64, err := b.lr(c, o.LR)
	if err != nil {
		return nil, err
	}
	var news, state []*graph.Node
	for k, p := range params {
		dt := p.DType()
		lr := nodes.Cast(lr64, dt)
		d := grads[k]
		if o.WeightDecay != 0 {
			d = nodes.Add(d, nodes.Mul(b.g.Scalar(o.WeightDecay, dt), p))
		}
		if o.Momentum != 0 {
			// A zero buffer makes the first step's Momentum·buf + g equal
			// g, the host's first-step rule, without a step count.
			buf, err := b.state(b.prefix+".buf/"+b.pnames[k], dt, p.Shape()...)
			if err != nil {
				return nil, err
			}
			mu := b.g.Scalar(o.Momentum, dt)
			nb := nodes.Add(nodes.Mul(mu, buf), d)
			state = append(state, nb)
			if o.Nesterov {
				d = nodes.Add(d, nodes.Mul(mu, nb))
			} else {
				d = nb
			}
		}
		news = append(news, nodes.Sub(p, nodes.Mul(lr, d)))
	}
	return b.finish(news, state)
}

// Graph builds one Adam (or AdamW) step as graph nodes (see Update):
// params are the parameters' graph inputs, grads the loss's gradients with
// respect to them (autodiff.Grad). The state is the moments
// "<prefix>.m/<param>" and "<prefix>.v/<param>" in each parameter's dtype
// and the step count "<prefix>.t", a float64 scalar shared by the update's
// parameters; the bias corrections are computed from it in float64 and
// rounded to the parameters' dtype once, as Step does. N steps of the
// program equal N Steps of the same Adam on the host.
func (o *Adam) Graph(params, grads []*graph.Node, opts ...GraphOption) (*Update, error) {
	if o == nil {
		return nil, fmt.Errorf("train: Adam.Graph: nil *Adam")
	}
	op, err := o.check()
	if err != nil {
		return nil, err
	}
	prefix := strings.ToLower(op)
	b1, b2, eps := o.params()
	b, c, err := newBuilder(op, prefix, params, grads, opts)
	if err != nil {
		return nil, err
	}
	g := b.g
	lr, err := b.lr(c, o.LR)
	if err != nil {
		return nil, err
	}
	t, err := b.state(b.prefix+".t", tensor.Float64)
	if err != nil {
		return nil, err
	}
	// Per-step scalars in float64, as Step computes them.
	f64 := func(v float64) *graph.Node { return g.Scalar(v, tensor.Float64) }
	t1 := nodes.Offset(t, 1)
	one := f64(1)
	stepSize := nodes.Div(lr, nodes.Sub(one, nodes.Pow(f64(b1), t1)))
	bc2 := nodes.Sqrt(nodes.Sub(one, nodes.Pow(f64(b2), t1)))
	decay := nodes.Sub(one, nodes.Mul(lr, f64(o.WeightDecay)))
	decoupled := o.Decoupled && o.WeightDecay != 0
	l2 := !o.Decoupled && o.WeightDecay != 0
	var news, ms, vs []*graph.Node
	for k, p := range params {
		dt := p.DType()
		name := b.pnames[k]
		m, err := b.state(b.prefix+".m/"+name, dt, p.Shape()...)
		if err != nil {
			return nil, err
		}
		v, err := b.state(b.prefix+".v/"+name, dt, p.Shape()...)
		if err != nil {
			return nil, err
		}
		d := grads[k]
		switch {
		case decoupled:
			p = nodes.Mul(p, nodes.Cast(decay, dt))
		case l2:
			d = nodes.Add(d, nodes.Mul(g.Scalar(o.WeightDecay, dt), p))
		}
		nm := nodes.Add(nodes.Mul(g.Scalar(b1, dt), m), nodes.Mul(g.Scalar(1-b1, dt), d))
		nv := nodes.Add(nodes.Mul(g.Scalar(b2, dt), v), nodes.Mul(nodes.Mul(g.Scalar(1-b2, dt), d), d))
		den := nodes.Add(nodes.Div(nodes.Sqrt(nv), nodes.Cast(bc2, dt)), g.Scalar(eps, dt))
		news = append(news, nodes.Sub(p, nodes.Mul(nodes.Cast(stepSize, dt), nodes.Div(nm, den))))
		ms, vs = append(ms, nm), append(vs, nv)
	}
	// State order follows StateInputs: t, then m and v per parameter.
	state := []*graph.Node{t1}
	for k := range ms {
		state = append(state, ms[k], vs[k])
	}
	return b.finish(news, state)
}
