// Package memplan assigns buffers to a program's values once, when it is
// compiled, for every backend: a reshape shares its operand's buffer; a
// kernel whose operand dies at it may write over that operand (in place);
// and buffers whose lifetimes do not overlap share one slot of an arena
// that runs reuse, so a steady-state run allocates only its outputs.
//
// The planner sees a program as a sequence of values, each with the values
// its kernel reads, its size and what its backend's kernel allows (Value);
// exec/cpu describes its nodes, exec/cuda its device steps (whose fused
// kernels read leaves, not the graph's direct operands).
package memplan
