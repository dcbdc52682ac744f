// Package nodes holds every loom op, one file per family. Each op is a type
// implementing graph.Op, and declares in one place its shape rule (Infer), its
// reference evaluation (Eval), its batching rule (Batch) and its gradient rule
// (VJP); where a family's file would grow too long, its batching or gradient
// rules sit beside it in <family>_batch.go or <family>_grad.go. A VJP builds
// its cotangents with these same builders, so it works at top level and
// inside loop bodies being traced, and gradients lower and fuse like any
// other code. Builders take and return *graph.Node at natural rank: MatMul takes
// matrices and vectors, Softmax one vector, reductions reduce every visible
// dim. Batching is done by loops (package vmap), never by extra dims here.
//
// Elementwise ops need identical visible shapes or a rank-0 scalar on one
// side; there is no implicit broadcasting and no dtype promotion.
package nodes
