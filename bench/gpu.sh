#!/usr/bin/env bash
# gpu.sh — the device check for exec/cuda (issue 7).
#
#   bench/gpu.sh build [DIR]   build the test binaries with CGO_ENABLED=0 into DIR
#                              (default bench/gpu-out): cuda.test, bench.test and
#                              the testdata they read. Needs Go; no CUDA.
#   bench/gpu.sh run [DIR]     on the GPU machine (no Go needed): run the GPU tests,
#                              then the benchmarks, and print a table of medians.
#   bench/gpu.sh [DIR]         both.
#
# Environment: COUNT (benchmark repetitions, default 5), BENCHTIME (default 20x),
# CPU=0 to skip the CPU column (loom's CPU backend on the same workloads),
# LOOM_CUDA_TF32=1 to let float32 GEMMs use TF32 (the table says which).
set -euo pipefail

mode=all
case "${1:-}" in
build|run) mode=$1; shift ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/bench/gpu-out}
count=${COUNT:-5}
benchtime=${BENCHTIME:-20x}

build() {
	mkdir -p "$out"
	(cd "$root" && CGO_ENABLED=0 go test -c -o "$out/cuda.test" ./exec/cuda)
	(cd "$root" && CGO_ENABLED=0 go test -c -o "$out/bench.test" ./bench)
	rm -rf "$out/testdata"
	cp -r "$root/exec/cuda/testdata" "$out/testdata"
	cp "$0" "$out/gpu.sh"
	echo "built $out: copy it to the GPU machine and run: ./gpu.sh run ."
}

# median prints the median of the numbers on stdin.
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "-"} else if (NR%2) {print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }

# metric NAME UNIT FILE: the median over runs of benchmark NAME's value in UNIT.
metric() {
	grep -E "^$1(-[0-9]+)?[[:space:]]" "$3" | awk -v u="$2" '{for (i=3; i<=NF; i++) if ($i==u) print $(i-1)}' | median
}

run() {
	cd "$out"
	log=$(mktemp -d)
	echo "== device"
	if command -v nvidia-smi >/dev/null; then
		nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
	else
		echo "nvidia-smi not found"
	fi
	date -u +"date: %Y-%m-%dT%H:%MZ"
	echo "== tests (exec/cuda on the GPU against the reference interpreter)"
	status=0
	./cuda.test -test.run 'CUDA|Call|NoSilent|NVRTC|LoadError|Golden' -test.v >"$log/tests.txt" 2>&1 || status=$?
	grep -E "^(--- |ok|FAIL|PASS)" "$log/tests.txt" | sed 's/^/  /' | tail -40
	grep -m1 "no usable GPU" "$log/tests.txt" | sed 's/^ */  skipped: /' || true
	if [ "$status" -ne 0 ]; then
		echo "  tests FAILED (exit $status); full log: $log/tests.txt"
	fi
	echo "== benchmarks (Call on device-resident values; -count $count, -benchtime $benchtime)"
	./cuda.test -test.run '^$' -test.bench . -test.benchtime "$benchtime" -test.count "$count" -test.v >"$log/gpu.txt" 2>&1 || true
	: >"$log/cpu.txt"
	if [ "${CPU:-1}" != 0 ]; then
		./bench.test -test.run '^$' -test.bench 'ExpAffine$|BatchedSolve$|Attention$' -test.benchtime 3x -test.count 3 >"$log/cpu.txt" 2>&1 || true
	fi
	grep -m1 -E "sm_[0-9]+" "$log/gpu.txt" | sed 's/^ *bench_test.go:[0-9]*: /  device: /' || true
	if grep -q "no usable GPU" "$log/gpu.txt"; then
		grep -m1 "no usable GPU" "$log/gpu.txt" | sed 's/^ */  /'
	fi
	printf "\n%-24s %14s %14s %16s   %s\n" "workload" "GPU median" "GPU metric" "CPU median (here)" "target (issue 7)"
	ns() { awk '{if ($1 == "-") print "-"; else printf "%.3f ms", $1/1e6}'; }
	printf "%-24s %14s %14s %16s   %s\n" "exp(a·x+b)·c 2^26 f32" \
		"$(metric BenchmarkFusedExpAffine ns/op "$log/gpu.txt" | ns)" "$(metric BenchmarkFusedExpAffine TB/s "$log/gpu.txt") TB/s" \
		"$(metric BenchmarkExpAffine ns/op "$log/cpu.txt" | ns)" "≥ 2.0 TB/s (JAX ≈ 1.88)"
	printf "%-24s %14s %14s %16s   %s\n" "solve 100000×5×5 f32" \
		"$(metric BenchmarkBatchedSolve ns/op "$log/gpu.txt" | ns)" "" \
		"$(metric BenchmarkBatchedSolve ns/op "$log/cpu.txt" | ns)" "≤ 0.3 ms (JAX ≈ 0.27; CPU bench is f64)"
	printf "%-24s %14s %14s %16s   %s\n" "attention B8 S1024 D1024" \
		"$(metric BenchmarkAttention ns/op "$log/gpu.txt" | ns)" "" \
		"$(metric BenchmarkAttention ns/op "$log/cpu.txt" | ns)" "≤ 2.0 ms (JAX ≈ 1.25 with TF32; CPU bench: S=D=512, H=8)"
	echo
	echo "logs: $log"
	return $status
}

case $mode in
build) build ;;
run) run ;;
all) build && run ;;
esac
