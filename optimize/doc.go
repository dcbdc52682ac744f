// Package optimize is loom's pass pipeline: one ordered table of passes
// (passes.go), one file per pass, and a table of "a must run before b,
// because …" constraints that a test checks against the pass order, like the
// Go compiler's ssa/compile.go.
//
// Passes rewrite the program computing a set of outputs and return the new
// outputs; rewritten nodes are appended to the same graph (the caller holds
// its lock). LOOM_DUMP=<pass name> (or "all") prints the program after that
// pass to stderr; LOOM_VERIFY=1 checks the graph's invariants after every
// pass (tests turn it on).
package optimize
