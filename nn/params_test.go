package nn_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/npy"
)

// model builds a small two-block transformer's parameters.
func model(dt tensor.Dtype, seed uint64) *nn.Params {
	r := rand.New(rand.NewPCG(seed, 1))
	p := nn.NewParams(graph.New(), dt)
	nn.NewEmbedding(p, "tok", 11, 8, r)
	cfg := nn.BlockConfig{Dim: 8, Heads: 2, Hidden: 16}
	nn.NewTransformerBlock(p, "block0", cfg, r)
	nn.NewTransformerBlock(p, "block1", cfg, r)
	nn.NewLinear(p, "head", 8, 11, r)
	return p
}

func TestParamsNames(t *testing.T) {
	p := model(tensor.Float32, 1)
	require.NoError(t, p.Graph().Err())
	names := p.Names()
	assert.Equal(t, []string{"tok.table", "block0.ln1.gain", "block0.ln1.bias",
		"block0.attn.wq", "block0.attn.wk", "block0.attn.wv", "block0.attn.wo",
		"block0.ln2.gain", "block0.ln2.bias",
		"block0.mlp.up.w", "block0.mlp.up.b", "block0.mlp.down.w", "block0.mlp.down.b"}, names[:13])
	assert.Equal(t, []string{"head.w", "head.b"}, names[len(names)-2:])
	assert.Len(t, names, 1+12+12+2)

	// Nodes are the graph inputs of the same names, Values their values.
	nodes, vals := p.Nodes(), p.Values()
	require.Len(t, nodes, len(names))
	require.Len(t, vals, len(names))
	total := 0
	for k, name := range names {
		assert.Equal(t, name, nodes[k].Op().(*graph.Input).Label)
		assert.Equal(t, nodes[k].Shape(), dense.Shape(vals[k]), name)
		assert.Equal(t, tensor.Float32, vals[k].Dtype(), name)
		total += vals[k].Size()
	}
	assert.Equal(t, total, p.Count())
	assert.Equal(t, []int{2, 8, 4}, p.Node("block1.attn.wq").Shape())

	// A scope sees its own parameters, by full name.
	s := p.Scope("block1").Scope("attn")
	assert.Equal(t, []string{"block1.attn.wq", "block1.attn.wk", "block1.attn.wv", "block1.attn.wo"}, s.Names())
	assert.Same(t, p.Value("block1.attn.wo"), s.Value("wo"))

	// Feeds holds every parameter and keeps what was there.
	x := dense.Zeros(tensor.Int64, []int{3})
	f := p.Feeds(map[string]*tensor.Dense{"ids": x})
	assert.Len(t, f, len(names)+1)
	assert.Same(t, x, f["ids"])
	assert.Same(t, p.Value("head.w"), f["head.w"])
}

// Values are the set's own tensors: what an optimiser writes into them is
// what the next Feeds hands to Run.
func TestParamsValuesShared(t *testing.T) {
	g := graph.New()
	p := nn.NewParams(g, tensor.Float64)
	init := dense.FromF64(tensor.Float64, []int{2}, []float64{1, 2})
	w := p.Add("w", init)
	init.Float64s()[0] = 99 // Add copied it
	y := nodes.Sum(w)
	p.Values()[0].Float64s()[1] = 5
	for _, be := range backends {
		got := run(t, be.opt, []*graph.Node{y}, p.Feeds(nil))
		near(t, []float64{6}, got[0], 1e-12, be.name)
	}
	require.NoError(t, p.Set("w", dense.FromF64(tensor.Float64, []int{2}, []float64{3, 4})))
	assert.Equal(t, []float64{3, 4}, p.Value("w").Float64s())
	assert.ErrorContains(t, p.Set("w", dense.FromF64(tensor.Float64, []int{3}, []float64{3, 4, 5})), `parameter "w": shape [3], want [2]`)
	assert.ErrorContains(t, p.Set("w", dense.FromF64(tensor.Float32, []int{2}, []float64{3, 4})), `parameter "w": dtype float32, want float64`)
	assert.ErrorContains(t, p.Set("v", init), `no parameter "v"`)
	assert.Equal(t, []float64{3, 4}, p.Value("w").Float64s(), "a failed Set changes nothing")
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	a, b := model(tensor.Float32, 1), model(tensor.Float32, 2)
	require.NoError(t, a.Save(dir))
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Len(t, files, len(a.Names()), "one .npy per parameter and nothing else")

	// Each file is plain NPY.
	wq, err := npy.Load(filepath.Join(dir, "block1.attn.wq.npy"))
	require.NoError(t, err)
	assert.Equal(t, dense.F64(a.Value("block1.attn.wq")), dense.F64(wq))

	before := b.Values()
	require.NotEqual(t, dense.F64(a.Value("head.w")), dense.F64(b.Value("head.w")))
	require.NoError(t, b.Load(dir))
	for k, name := range a.Names() {
		assert.Equal(t, dense.F64(a.Value(name)), dense.F64(b.Value(name)), name)
		assert.Same(t, before[k], b.Values()[k], "%s: Load copies in place", name)
	}

	// A scope saves and loads only its own parameters.
	c := model(tensor.Float32, 3)
	sub := filepath.Join(t.TempDir(), "block0")
	require.NoError(t, c.Scope("block0").Save(sub))
	files, _ = filepath.Glob(filepath.Join(sub, "*"))
	assert.Len(t, files, 12)
	require.NoError(t, b.Scope("block0").Load(sub))
	assert.Equal(t, dense.F64(c.Value("block0.mlp.up.w")), dense.F64(b.Value("block0.mlp.up.w")))
	assert.Equal(t, dense.F64(a.Value("block1.mlp.up.w")), dense.F64(b.Value("block1.mlp.up.w")))
	// The whole model cannot load from the scope's files.
	assert.ErrorContains(t, b.Load(sub), "missing parameter files: tok.table.npy, block1.ln1.gain.npy")
}

// Load checks everything before it changes anything, and names each bad
// parameter.
func TestLoadErrors(t *testing.T) {
	save := func(t *testing.T) (string, *nn.Params) {
		dir := t.TempDir()
		require.NoError(t, model(tensor.Float32, 1).Save(dir))
		return dir, model(tensor.Float32, 2)
	}
	unchanged := func(t *testing.T, p *nn.Params) {
		t.Helper()
		fresh := model(tensor.Float32, 2)
		for _, name := range p.Names() {
			require.Equal(t, dense.F64(fresh.Value(name)), dense.F64(p.Value(name)), "%s changed by a failed Load", name)
		}
	}
	t.Run("shape", func(t *testing.T) {
		dir, p := save(t)
		require.NoError(t, npy.Save(filepath.Join(dir, "block1.attn.wo.npy"), dense.Zeros(tensor.Float32, []int{8, 4})))
		err := p.Load(dir)
		assert.ErrorContains(t, err, `parameter "block1.attn.wo": shape [8 4], want [8 8] in block1.attn.wo.npy`)
		assert.ErrorContains(t, err, "nothing loaded")
		unchanged(t, p)
	})
	t.Run("dtype", func(t *testing.T) {
		dir, p := save(t)
		require.NoError(t, npy.Save(filepath.Join(dir, "head.b.npy"), dense.Zeros(tensor.Float64, []int{11})))
		assert.ErrorContains(t, p.Load(dir), `parameter "head.b": dtype float64, want float32`)
		unchanged(t, p)
	})
	t.Run("missing", func(t *testing.T) {
		dir, p := save(t)
		require.NoError(t, os.Remove(filepath.Join(dir, "block0.ln2.bias.npy")))
		require.NoError(t, os.Remove(filepath.Join(dir, "tok.table.npy")))
		assert.ErrorContains(t, p.Load(dir), "missing parameter files: tok.table.npy, block0.ln2.bias.npy")
		unchanged(t, p)
	})
	t.Run("extra", func(t *testing.T) {
		dir, p := save(t)
		require.NoError(t, npy.Save(filepath.Join(dir, "block2.ln1.gain.npy"), dense.Zeros(tensor.Float32, []int{8})))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a parameter"), 0o644))
		err := p.Load(dir)
		assert.ErrorContains(t, err, "files for parameters the model does not have: block2.ln1.gain.npy")
		assert.NotContains(t, err.Error(), "notes.txt")
		unchanged(t, p)
	})
	t.Run("corrupt", func(t *testing.T) {
		dir, p := save(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "head.w.npy"), []byte("\x93NUMPY garbage"), 0o644))
		assert.ErrorContains(t, p.Load(dir), `parameter "head.w": npy`)
		unchanged(t, p)
	})
	t.Run("no dir", func(t *testing.T) {
		p := model(tensor.Float32, 2)
		assert.ErrorContains(t, p.Load(filepath.Join(t.TempDir(), "nope")), "no such file")
	})
	t.Run("save into a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(f, nil, 0o644))
		assert.Error(t, model(tensor.Float32, 2).Save(f))
	})
	t.Run("no temp files left", func(t *testing.T) {
		dir, _ := save(t)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range ents {
			assert.True(t, slices.Contains([]string{".npy"}, filepath.Ext(e.Name())), e.Name())
		}
	})
}
