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
// Initialisers (Zeros, Ones, Normal, Uniform, GlorotUniform, HeNormal) are
// deterministic given a *rand.Rand from math/rand/v2.
//
// Loop cuts N examples into shuffled minibatches for a number of epochs and
// reports progress: a progress bar on a terminal, one line per epoch
// elsewhere, nothing when Quiet. Gather and Batch copy a batch's rows out of
// a dataset tensor. Parameters are saved and loaded for Python with package
// npy.
package train
