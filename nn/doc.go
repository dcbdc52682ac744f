// Package nn holds model building blocks written in loom itself: Linear,
// Embedding, LayerNorm, Gelu, MLP, the essay's MultiHeadAttention, a pre-norm
// TransformerBlock, and the losses CrossEntropy and MSE, over a named
// parameter set, Params.
//
// Every module is a small struct of parameter nodes built once per graph,
// with an Apply method written for ONE example — a vector for Linear and
// LayerNorm, one sequence [seq, d] for attention and the block. There is no
// batch dim anywhere in this package: a batch is a loop the caller writes,
// and loom lowers the loop to batched kernels (a loop of Linear.Apply runs as
// one matrix product):
//
//	g := graph.New()
//	p := nn.NewParams(g, tensor.Float32)
//	r := rand.New(rand.NewPCG(1, 2))
//	fc1, fc2 := nn.NewLinear(p, "fc1", 784, 512, r), nn.NewLinear(p, "fc2", 512, 10, r)
//	xs := g.Input("x", tensor.Float32, 256, 784)
//	labels := g.Input("labels", tensor.Int64, 256)
//	b := g.Axis("b", 0)
//	loss := nodes.Mean(vmap.For(b).Do(func() *graph.Node {
//		h := nodes.Relu(fc1.Apply(xs.At(b, graph.All)))
//		return nn.CrossEntropy(fc2.Apply(h), labels.At(b))
//	}))
//	grads := autodiff.Grad(loss, p.Nodes()...)
//	prog, err := exec.Compile(append([]*graph.Node{loss}, grads...))
//	out, err := prog.Run(p.Feeds(map[string]*tensor.Dense{"x": x, "labels": y}))
//
// Reading the modules shows the habits of loom code: Mean(x) of one vector is
// its mean, so LayerNorm subtracts a scalar with no broadcasting rule;
// attention softmaxes each row of its score matrix in a loop over rows; the
// causal mask is a loop over (row, column) comparing the two loop indices
// (c.Value() > r.Value()); a per-position MLP is a loop over positions.
// Everything is graph ops, with no arithmetic done in Go, so autodiff.Grad
// differentiates all of it and the optimizer fuses and batches all of it.
//
// # Parameters
//
// Params is an ordered set of named parameters, each a graph input plus its
// current value. Names nest with Scope: NewTransformerBlock(p, "block0", ...)
// adds "block0.ln1.gain", "block0.attn.wq", "block0.mlp.up.w", and so on.
// Nodes() is the wrt list for autodiff.Grad, Values() the tensors an
// optimiser updates in place, Feeds() fills the feed map for Run. The set
// holds one dtype (float32 or float64), so a stray float64 initial value in
// a float32 model is an error, not a silent conversion.
//
// Save writes one NumPy .npy file per parameter (dir/block0.attn.wq.npy),
// which numpy.load reads as is; Load checks every file's dtype and shape
// against the model, reports missing and unexpected files by name, and
// changes nothing unless all of them fit. One file per parameter rather than
// one archive keeps each file a plain .npy, lets a Scope save or load just
// its own part, and needs no zip writer.
//
// # Choices
//
// Modules take their parameter set, a name and a *rand.Rand explicitly: the
// names make checkpoints readable, and the generator makes initialisation
// reproducible. Misuse (a size that does not divide, an input of the wrong
// width, a float label) is a build error recorded on the graph at the
// caller's line, like any op's, and poisons what follows rather than
// panicking.
//
// MultiHeadAttention is the essay's loop structure (a loop over heads, each
// head the one-sequence Attention, then a loop over positions that lays the
// heads side by side) followed by the paper's output projection W^O
// [heads·dk, d], so the result has the model dim and heads are mixed. The
// essay instead projected each head by its own small matrix, which is W^O
// restricted to a block diagonal.
package nn
