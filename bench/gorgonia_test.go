//go:build !nogorgonia

package bench

// The peer workloads in gorgonia (gorgonia.org/gorgonia v0.9.18, the
// unmaintained Go library), each the way a gorgonia user writes it: an
// ExprGraph run by a TapeMachine, with RunAll and Reset per step. gorgonia's
// matrix products go through its default BLAS, gonum's pure-Go one.
//
// Not here, because gorgonia has no op for them: the batched solve (no
// solve) and D[k,n] = mean of A[k,l,m]·B[l,n]·C[k,m] (no einsum; it would be
// a hand-planned chain of reshapes and matmuls, not the user's program).
//
// Build with -tags nogorgonia to leave gorgonia out (bench/compare.py does
// when it does not build).
//
// Each benchmark checks its result once (against a plain Go loop, or a
// decreasing loss) so a wrong peer is not timed.

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/examples/attention/mha"
	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
)

// gorgoniaRun compiles g into a TapeMachine and times RunAll+Reset; check,
// when set, sees the outputs after one untimed run.
func gorgoniaRun(b *testing.B, g *G.ExprGraph, check func(), opts ...G.VMOpt) {
	m := G.NewTapeMachine(g, opts...)
	defer m.Close()
	step := func() {
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	step()
	if check != nil {
		check()
	}
	m.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
		m.Reset()
	}
}

func gMust(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// gInput is a named gorgonia node holding a copy of t's values.
func gInput(g *G.ExprGraph, name string, t *tensor.Dense) *G.Node {
	c := t.Clone().(*tensor.Dense)
	if t.Dims() == 1 {
		return G.NewVector(g, t.Dtype(), G.WithShape(t.Shape()...), G.WithName(name), G.WithValue(c))
	}
	return G.NewTensor(g, t.Dtype(), t.Dims(), G.WithShape(t.Shape()...), G.WithName(name), G.WithValue(c))
}

func f32s(n *G.Node) []float32 { return n.Value().Data().([]float32) }

// Square float32 GEMM, n=1024.
func BenchmarkGorgoniaGEMM(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewSource(3))
	x, y := randn(r, tensor.Float32, 1, n, n), randn(r, tensor.Float32, 1, n, n)
	g := G.NewGraph()
	z := gMust(G.Mul(gInput(g, "x", x), gInput(g, "y", y)))
	gorgoniaRun(b, g, func() {
		xv, yv, zv := x.Float32s(), y.Float32s(), f32s(z)
		for _, ij := range [][2]int{{0, 0}, {17, 901}, {n - 1, n - 1}} {
			var s float64
			for k := 0; k < n; k++ {
				s += float64(xv[ij[0]*n+k]) * float64(yv[k*n+ij[1]])
			}
			near(b, "gorgonia GEMM", float64(zv[ij[0]*n+ij[1]]), s)
		}
	})
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// exp(a·x+b)·c over 2^24 float32 elements, a, b, c scalar constants.
func BenchmarkGorgoniaExpAffine(b *testing.B) {
	const n = 1 << 24
	r := rand.New(rand.NewSource(5))
	x := randn(r, tensor.Float32, 1, n)
	g := G.NewGraph()
	xn := gInput(g, "x", x)
	ax := gMust(G.Mul(xn, G.NewConstant(float32(0.5))))
	y := gMust(G.Mul(gMust(G.Exp(gMust(G.Add(ax, G.NewConstant(float32(0.25)))))), G.NewConstant(float32(1.5))))
	gorgoniaRun(b, g, func() {
		for _, k := range []int{0, 12345, n - 1} {
			near(b, "gorgonia exp(a·x+b)·c", float64(f32s(y)[k]), 1.5*math.Exp(0.5*float64(x.Float32s()[k])+0.25))
		}
	})
	b.ReportMetric(float64(4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// Softmax of each row of a 4096×4096 float32 matrix (SoftMax over the last
// axis).
func BenchmarkGorgoniaRowSoftmax(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewSource(6))
	x := randn(r, tensor.Float32, 1, n, n)
	g := G.NewGraph()
	y := gMust(G.SoftMax(gInput(g, "x", x)))
	gorgoniaRun(b, g, func() {
		checkSoftmaxRow(b, "gorgonia", x.Float32s()[77*n:78*n], f32s(y)[77*n:78*n])
	})
}

// Multi-head attention, S=512, D=512, H=8, d_k=64, float32: a Go loop over
// the sequences of the batch and the heads builds one graph (gorgonia has no
// loops of its own), heads laid side by side with Concat. Checked against
// loom's examples/attention/mha on batch 1.
func BenchmarkGorgoniaAttention(b *testing.B) {
	const S, D, H, dk = 512, 512, 8, 64
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			r := rand.New(rand.NewSource(2))
			ws := 1 / math.Sqrt(D)
			wq, wk, wv := randn(r, tensor.Float32, ws, H, D, dk), randn(r, tensor.Float32, ws, H, D, dk), randn(r, tensor.Float32, ws, H, D, dk)
			wo := randn(r, tensor.Float32, 1/math.Sqrt(dk), H, dk, dk)
			x := randn(r, tensor.Float32, 1, batch, S, D)

			g := G.NewGraph()
			head := func(w *tensor.Dense, name string, h, rows, cols int) *G.Node {
				v := w.Float32s()[h*rows*cols : (h+1)*rows*cols]
				t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float32(nil), v...)))
				return G.NewMatrix(g, tensor.Float32, G.WithShape(rows, cols), G.WithName(fmt.Sprintf("%s%d", name, h)), G.WithValue(t))
			}
			var wqs, wks, wvs, wos []*G.Node
			for h := 0; h < H; h++ {
				wqs, wks, wvs, wos = append(wqs, head(wq, "wq", h, D, dk)), append(wks, head(wk, "wk", h, D, dk)),
					append(wvs, head(wv, "wv", h, D, dk)), append(wos, head(wo, "wo", h, dk, dk))
			}
			scale := G.NewConstant(float32(1 / math.Sqrt(dk)))
			var seqs []*G.Node
			for s := 0; s < batch; s++ {
				xs := head(x, "x", s, S, D)
				var heads []*G.Node
				for h := 0; h < H; h++ {
					q, k, v := gMust(G.Mul(xs, wqs[h])), gMust(G.Mul(xs, wks[h])), gMust(G.Mul(xs, wvs[h]))
					scores := gMust(G.Mul(gMust(G.Mul(q, gMust(G.Transpose(k)))), scale))
					w := gMust(G.SoftMax(scores))
					heads = append(heads, gMust(G.Mul(gMust(G.Mul(w, v)), wos[h])))
				}
				seqs = append(seqs, gMust(G.Concat(1, heads...)))
			}
			out := seqs[0]
			if batch > 1 {
				out = gMust(G.Concat(0, seqs...)) // [batch·S, H·dk]
			}
			var check func()
			if batch == 1 {
				check = func() { checkAttention(b, x, wq, wk, wv, wo, f32s(out)) }
			}
			gorgoniaRun(b, g, check)
			flops := float64(batch*H) * (3*2*S*D*dk + 2*2*S*S*dk + 2*S*dk*dk)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// One SGD step (lr 0.01) of the 784→512→10 relu MLP with softmax
// cross-entropy on a batch of 256, float32: gradients by gorgonia's symbolic
// Grad, the update by its VanillaSolver. Checked: the loss goes down.
func BenchmarkGorgoniaMLPStep(b *testing.B) {
	const batch, in, hid, out, lr = 256, 784, 512, 10, 0.01
	r := rand.New(rand.NewSource(7))
	g := G.NewGraph()
	x := gInput(g, "x", randn(r, tensor.Float32, 1, batch, in))
	w1, b1 := gInput(g, "w1", randn(r, tensor.Float32, 1/math.Sqrt(in), in, hid)), gInput(g, "b1", randn(r, tensor.Float32, 0, hid))
	w2, b2 := gInput(g, "w2", randn(r, tensor.Float32, 1/math.Sqrt(hid), hid, out)), gInput(g, "b2", randn(r, tensor.Float32, 0, out))
	onehot := make([]float32, batch*out)
	for e := 0; e < batch; e++ {
		onehot[e*out+r.Intn(out)] = 1
	}
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, out), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, out), tensor.WithBacking(onehot))))

	h := gMust(G.Rectify(gMust(G.BroadcastAdd(gMust(G.Mul(x, w1)), b1, nil, []byte{0}))))
	logits := gMust(G.BroadcastAdd(gMust(G.Mul(h, w2)), b2, nil, []byte{0}))
	logp := gMust(G.LogSoftMax(logits))
	loss := gMust(G.Neg(gMust(G.Div(gMust(G.Sum(gMust(G.HadamardProd(y, logp)))), G.NewConstant(float32(batch))))))
	params := G.Nodes{w1, b1, w2, b2}
	if _, err := G.Grad(loss, params...); err != nil {
		b.Fatal(err)
	}
	var lossVal G.Value
	G.Read(loss, &lossVal)

	m := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer m.Close()
	solver := G.NewVanillaSolver(G.WithLearnRate(lr))
	step := func() float32 {
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(params)); err != nil {
			b.Fatal(err)
		}
		l := lossVal.Data().(float32)
		m.Reset()
		return l
	}
	first := step()
	if second := step(); !(second < first) || math.IsNaN(float64(first)) {
		b.Fatalf("gorgonia MLP: loss did not go down: %v then %v", first, second)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
}

// checkAttention compares gorgonia's attention output (batch 1, [S, H·dk])
// with loom's examples/attention/mha on the same values.
func checkAttention(b *testing.B, x, wq, wk, wv, wo *tensor.Dense, got []float32) {
	g := graph.New()
	in := func(name string, t *tensor.Dense) *graph.Node { return g.Input(name, t.Dtype(), t.Shape()...) }
	out := mha.Batched(in("x", x), in("wq", wq), in("wk", wk), in("wv", wv), in("wo", wo))
	p, err := exec.Compile([]*graph.Node{out})
	if err != nil {
		b.Fatal(err)
	}
	res, err := p.Run(map[string]*tensor.Dense{"x": x, "wq": wq, "wk": wk, "wv": wv, "wo": wo})
	if err != nil {
		b.Fatal(err)
	}
	want := res[0].Float32s()
	if len(want) != len(got) {
		b.Fatalf("gorgonia attention: %d values, loom %d", len(got), len(want))
	}
	for k := 0; k < len(want); k += 997 {
		near(b, "gorgonia attention", float64(got[k]), float64(want[k]))
	}
}
