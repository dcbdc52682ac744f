// Package graph is loom's lazy program representation: a Graph of Nodes, each
// the result of one Op applied to earlier nodes, plus the named loop Axes that
// let single-example code be lifted over extra dimensions.
//
// Nothing runs here. Builders record nodes; the first build error is kept on
// the Graph with the user's file:line (Err), and nodes built from a broken one
// are poisoned rather than panicking, so user code reads straight through and
// checks one error at the end.
//
// Loops: while a loop over axis i is being traced (vmap.For(i).Do), nodes are
// recorded into the loop's body. A body refers to outside values only through
// its parameters; each parameter says whether the outside value is mapped over
// i (and on which dim) or shared. The Loop op holds the finished body.
//
// Every op implements Op: its shape rule (Infer), reference evaluation (Eval),
// batching rule (Batch) and gradient rule (VJP), declared together.
package graph
