// Package exec compiles a graph's outputs into a Program and runs it on a
// backend: the reference interpreter (Reference, the test oracle) or the CPU
// (OnCPU, the default). A Program validates every feed — missing, unknown,
// wrong dtype or shape — and turns run-time failures such as a gather index out
// of range into errors that name the input responsible. Programs are safe for
// concurrent use and deterministic: the same inputs give bitwise-identical
// results on the same backend and machine.
package exec
