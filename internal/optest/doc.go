// Package optest is the shared op suite (gonum's testblas style): one table of
// cases covering every op, and suite functions that any executor — the
// reference interpreter, the CPU backend, later the GPU — is checked with.
package optest
