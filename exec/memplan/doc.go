// Package memplan assigns buffers to a program's values once, when it is
// compiled, for every backend: a reshape shares its operand's buffer; a
// kernel whose operand dies at it may write over that operand (in place);
// and buffers whose lifetimes do not overlap share one slot of an arena
// that runs reuse, so a steady-state run allocates only its outputs.
//
// Feeds are the caller's and never written over, unless donated
// (exec.Donate): a donated feed's buffer is taken over like a dying
// operand's, by an output too, so a training step's new weights are
// written over the old ones (Donor says whose memory a value lives in).
//
// The planner sees a program as a sequence of values, each with the values
// its kernel reads, its size and what its backend's kernel allows (Value);
// exec/cpu describes its nodes, exec/cuda its device steps (whose fused
// kernels read leaves, not the graph's direct operands).
package memplan
