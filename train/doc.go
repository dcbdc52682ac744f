// Package train holds what a training loop needs around loom's gradients:
// optimisers, parameter initialisers, a minibatch loop and gradient
// clipping. It works on *tensor.Dense values loom owns, through their raw
// float32/float64 slices, never tensor's own arithmetic.
//
// Optimisers follow PyTorch's update formulas exactly (tested against
// torch.optim step by step): SGD with momentum, Nesterov momentum and L2
// weight decay; Adam with bias correction and L2 weight decay; AdamW with
// decoupled weight decay. Their state (momentum buffers, moments, step
// counts) lives in the optimiser, one slot per parameter position, so a
// Step must get the same parameters in the same order every time (Reset
// starts over). Large tensors are updated on all cores.
//
// The same optimisers also build their step into the graph, so weights and
// optimiser state stay on the backend between steps (exec's Put, Call and
// Value) and a step moves only its batch and its loss — on a GPU, the
// difference between a bus crossing per parameter per step and none. It is
// optax's init/update split: Graph returns an Update whose Outputs are the
// new parameters and state, whose Init is the state before the first step
// (zeros, step count 0), and whose Names say which input each output feeds
// next time; Carry does that feeding:
//
//	grads := autodiff.Grad(loss, p.Nodes()...)
//	u, err := train.NewAdam(1e-3).Graph(p.Nodes(), grads)
//	prog, err := exec.Compile(append([]*graph.Node{loss}, u.Outputs()...),
//		exec.OnCUDA(), exec.Donate(u.Names()...)) // new weights and state over the old
//	feeds := map[string]*exec.Value{} // Put each of p.Feeds(nil) and u.Init() once
//	for each batch {
//		feeds["x"], _ = prog.Put(batch)
//		outs, err := prog.Call(feeds)
//		loss, err := outs[0].Dense() // the only copy back
//		err = train.Carry(u, feeds, outs[1:])
//	}
//
// State inputs are named after the parameters' inputs — "adam.m/<name>",
// "adam.v/<name>", "sgd.buf/<name>" — plus Adam's step count "adam.t", a
// float64 scalar from which the bias corrections are computed in float64,
// as Step does: N steps in the graph give the host optimiser's N Steps to
// rounding (the tests allow 1e-12 in float64 and 1e-6 in float32; on the
// CPU backend they are bitwise equal today). Prefix renames the
// state for a second parameter group in the same graph; LRInput makes the
// learning rate a fed scalar, for schedules without recompiling.
//
// Initialisers (Zeros, Ones, Normal, Uniform, GlorotUniform, HeNormal) are
// deterministic given a *rand.Rand from math/rand/v2.
//
// Loop cuts N examples into shuffled minibatches for a number of epochs and
// reports progress: a progress bar on a terminal, one line per epoch
// elsewhere, nothing when Quiet. Gather and Batch copy a batch's rows out of
// a dataset tensor. Parameters are saved and loaded for Python with package
// npy.
package train
