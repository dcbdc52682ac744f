// Package bench holds loom's benchmarks of the workloads it is compared on
// (batched solve, multi-head attention, GEMM), and peers/ the same workloads
// in NumPy, so both run side by side on one machine (see RESULTS.md).
//
//	go test -run '^$' -bench . -benchmem ./bench
//	python3 bench/peers/numpy_bench.py
package bench
