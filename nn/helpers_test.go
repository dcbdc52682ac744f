package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
)

// backends every module runs on: the reference interpreter (the oracle's
// semantics, loops run index by index) and the optimized CPU program (loops
// lowered to batched kernels).
var backends = []struct {
	name string
	opt  exec.Option
}{{"ref", exec.Reference()}, {"cpu", exec.OnCPU()}}

// tol is the relative tolerance against the float64 plain-Go oracle.
func tol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 2e-4
	}
	return 1e-9
}

func randData(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for k := range v {
		v[k] = r.NormFloat64()
	}
	return v
}

// randT returns a tensor of normal values and the float64 values it holds
// (after rounding to dt, so the oracle sees what loom sees).
func randT(r *rand.Rand, dt tensor.Dtype, shape ...int) (*tensor.Dense, []float64) {
	t := dense.FromF64(dt, shape, randData(r, dense.Size(shape)))
	return t, dense.F64(t)
}

// randomize gives every parameter random values scaled by s: the modules'
// own initial values (ones, zeros) would hide mistakes such as a gain and a
// bias swapped.
func randomize(t *testing.T, p *nn.Params, r *rand.Rand, s float64) {
	t.Helper()
	for _, name := range p.Names() {
		v := p.Value(name[len(p.Prefix()):])
		data := randData(r, v.Size())
		for k := range data {
			data[k] *= s
		}
		require.NoError(t, p.Set(name[len(p.Prefix()):], dense.FromF64(v.Dtype(), dense.Shape(v), data)))
	}
}

// weights returns the view's parameters as float64, keyed by name relative
// to the view.
func weights(p *nn.Params) block {
	out := block{}
	for _, name := range p.Names() {
		rel := strings.TrimPrefix(name, p.Prefix())
		out[rel] = dense.F64(p.Value(rel))
	}
	return out
}

// run compiles outs with opt and runs them on feeds.
func run(t *testing.T, opt exec.Option, outs []*graph.Node, feeds map[string]*tensor.Dense) []*tensor.Dense {
	t.Helper()
	prog, err := exec.Compile(outs, opt)
	require.NoError(t, err)
	got, err := prog.Run(feeds)
	require.NoError(t, err)
	require.Len(t, got, len(outs))
	for k, o := range outs {
		assert.Equal(t, o.Shape(), dense.Shape(got[k]), "output %d: shape rule vs result", k)
	}
	return got
}

// near checks got against want elementwise within a relative tolerance.
func near(t *testing.T, want []float64, got *tensor.Dense, tol float64, what string) {
	t.Helper()
	g := dense.F64(got)
	require.Len(t, g, len(want), what)
	bad := 0
	for k := range want {
		if d := math.Abs(g[k] - want[k]); !(d <= tol*math.Max(1, math.Abs(want[k]))) {
			if bad++; bad <= 3 {
				t.Errorf("%s: element %d = %v, want %v", what, k, g[k], want[k])
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d elements differ", what, bad)
	}
}

// errAt checks that the graph's first error is at file:line and mentions
// every sub.
func errAt(t *testing.T, g *graph.Graph, site string, subs ...string) {
	t.Helper()
	require.Error(t, g.Err())
	msg := g.Err().Error()
	assert.True(t, strings.HasPrefix(msg, site+": "), "error %q should start at %s", msg, site)
	for _, s := range subs {
		assert.Contains(t, msg, s)
	}
}

func compile(out *graph.Node, opt exec.Option) (*exec.Program, error) {
	return exec.Compile([]*graph.Node{out}, opt)
}
