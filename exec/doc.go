// Package exec compiles a graph's outputs into a Program and runs it on a
// backend: the reference interpreter (Reference, the test oracle) or the CPU
// (OnCPU, the default). A Program validates every feed — missing, unknown,
// wrong dtype or shape — and turns run-time failures such as a gather index out
// of range into errors that name the input responsible. Programs are safe for
// concurrent use and deterministic: the same inputs give bitwise-identical
// results on the same backend and machine.
//
// Put, Call and Value keep tensors on the backend between runs (weights on
// a GPU). Donate lets a program write over the named inputs' memory, so a
// training step's new weights and optimiser state take the old ones'
// place instead of fresh memory (NumPy's w -= lr*g, JAX's donate_argnums):
// with Call the donated Values are consumed, and any later use of one is
// an error; with Run the donated tensors may hold outputs afterwards.
// Inputs not donated are never written. Explain lists what each donated
// input's memory ends up holding.
package exec
