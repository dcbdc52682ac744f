// Package mha is the essay's multi-head attention written with loops: one
// head over one sequence, a loop over heads, a loop over positions, and a loop
// over a batch — the code never mentions a batch dim. It is shared by the
// attention example and the benchmarks.
package mha
