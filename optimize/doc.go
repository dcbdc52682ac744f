// Package optimize will hold loom's pass pipeline: one ordered table of passes
// (vmap lowering, dead-code and common-subexpression elimination, constant
// folding, algebraic simplification, contraction planning, fusion, layout and
// memory planning), one file per pass, with the "a before b" reasons written
// down. Until it lands, exec runs the graph as built.
package optimize
