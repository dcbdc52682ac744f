// Command attention is the essay's multi-head attention written the way it
// reads: single-head attention for one sequence, a loop over heads, a loop
// over positions to lay the heads side by side, and (for a batch) a loop over
// examples. loom lifts those loops; the code never mentions a batch dim.
//
//	go run ./examples/attention            # build, explain, check, time
//	go run ./examples/attention -batch 8   # the same model over a batch
//	go run ./examples/attention -train     # train a small transformer (Adam on the host)
//	go run ./examples/attention -train -cuda      # the whole step on the GPU, weights kept there
//	go run ./examples/attention -train -resident  # the same one-program step on the CPU
package main
