// Package bench holds loom's benchmarks of the workloads it is compared on
// (batched solve, D[k,n] as a mean of products, multi-head attention,
// exp(a·x+b)·c, row softmax, an MLP training step, GEMM), the same workloads
// in gorgonia (gorgonia_test.go), and in peers/ the same workloads in NumPy
// and PyTorch. compare.py (`make bench`) runs them side by side on one
// machine and prints one table of medians and ratios; RESULTS.md holds the
// latest table.
//
//	go test -run '^$' -bench . -benchmem ./bench        # loom and gorgonia
//	go test -tags nogorgonia -run '^$' -bench . ./bench # loom only
//	python3 bench/peers/numpy_bench.py
//	python3 bench/peers/torch_bench.py
//	python3 bench/compare.py --write bench/RESULTS.md
package bench
