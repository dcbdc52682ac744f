// Command attention is the essay's multi-head attention written the way it
// reads: single-head attention for one sequence, a loop over heads, a loop
// over positions to lay the heads side by side, and (for a batch) a loop over
// examples. loom lifts those loops; the code never mentions a batch dim.
//
//	go run ./examples/attention            # build, explain, check, time
//	go run ./examples/attention -batch 8   # the same model over a batch
package main
