# loom — the two commands a newcomer needs: `make demo` and `make test`.
GO ?= go

.PHONY: test demo vet race bench

# The whole suite: vet, every package's tests, and the concurrent-Run tests
# under the race detector.
test: vet
	$(GO) test ./...
	$(GO) test -race -run 'Concurrent' ./exec/...

vet:
	$(GO) vet ./...

# The flagship example: multi-head attention written with loops, explained,
# checked against plain Go loops, and timed.
demo:
	$(GO) run ./examples/attention

# loom's benchmarks beside NumPy, PyTorch and gorgonia (a missing peer is skipped, saying so).
bench:
	python3 bench/compare.py
