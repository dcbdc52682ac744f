// Package vmap lifts single-example code over named loop axes.
//
//	y := vmap.For(i).Do(func() *graph.Node {
//		return nodes.Solve(A.At(i, graph.All, graph.All), x.At(i, graph.All))
//	})
//
// Do runs the body once, symbolically, as the code for one index; the result
// is a vmap (loop) node whose visible dims are the loop axes followed by the
// body's dims, or placed as Into says. Values the body uses without indexing
// them by the loop axis are shared across it. Lowering loops into batched
// kernels happens in the optimizer; here a loop is only recorded.
package vmap
