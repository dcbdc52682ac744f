#!/usr/bin/env bash
# gpu.sh — the device check for exec/cuda (issue 7).
#
#   bench/gpu.sh build [DIR]   build the test binary with CGO_ENABLED=0 into DIR
#                              (default bench/gpu-out): cuda.test (and bench.test
#                              with CPU=1), the testdata it reads, this script and
#                              gpu_peers.py. Needs Go; no CUDA. About 17 MB.
#
# With the device tool: `bench/gpu.sh build` here, then run
#   bash bench/gpu-out/gpu.sh run bench/gpu-out
# there, carrying bench/gpu-out, with a timeout of about 540 s (the tests,
# benchmarks and peers are sized for about 5 minutes; not yet timed on a GPU).
#   bench/gpu.sh run [DIR]     on the GPU machine (no Go needed): run the GPU tests,
#                              then the benchmarks, and print a table of medians.
#   bench/gpu.sh [DIR]         both.
#
# Environment: COUNT (benchmark repetitions, default 5), BENCHTIME (default 20x),
# TESTS (the -test.run pattern), PEERS=0 to skip JAX/PyTorch (bench/gpu_peers.py),
# CPU=1 to add loom's CPU backend on this machine, TEST_TIMEOUT/BENCH_TIMEOUT/
# PEER_TIMEOUT (seconds). Attention is timed with float32 GEMMs exact (fp32) and
# on TF32 tensor cores (tf32); everything else leaves TF32 off. With $OUT set
# (the device tool's output folder) the logs are copied there.
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
	(cd "$root" && CGO_ENABLED=0 go test -c -ldflags='-s -w' -o "$out/cuda.test" ./exec/cuda)
	if [ "${CPU:-0}" != 0 ]; then
		(cd "$root" && CGO_ENABLED=0 go test -c -ldflags='-s -w' -o "$out/bench.test" ./bench)
	fi
	rm -rf "$out/testdata"
	cp -r "$root/exec/cuda/testdata" "$out/testdata"
	cp "$0" "$out/gpu.sh"
	cp "$root/bench/gpu_peers.py" "$out/gpu_peers.py"
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
	# Logs go straight to the device tool's output folder when there is one,
	# so a run cut short still brings back what it measured.
	if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then log=$OUT; else log=$(mktemp -d); fi
	echo "== device"
	if command -v nvidia-smi >/dev/null; then
		nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
	else
		echo "nvidia-smi not found"
	fi
	date -u +"date: %Y-%m-%dT%H:%MZ"
	echo "== tests (exec/cuda on the GPU against the reference interpreter and the CPU backend)"
	status=0
	timeout "${TEST_TIMEOUT:-300}" ./cuda.test -test.run "${TESTS:-CUDA|Call|NoSilent|NVRTC|LoadError|Golden|Train}" -test.skip "${SKIP:-Emu}" -test.v >"$log/tests.txt" 2>&1 || status=$?
	grep -E "^(--- |ok|FAIL|PASS|panic)" "$log/tests.txt" | grep -v -- "--- PASS: .*/" | sed 's/^/  /' | tail -60 || true
	grep -m1 "no usable GPU" "$log/tests.txt" | sed 's/^ */  skipped: /' || true
	if [ "$status" -ne 0 ]; then
		echo "  tests FAILED (exit $status); the failures:"
		grep -B2 -A12 -E "^\s*--- FAIL" "$log/tests.txt" | head -120 | sed 's/^/    /' || true
	fi
	echo "== benchmarks (Call on device-resident values; -count $count, -benchtime $benchtime)"
	timeout "${BENCH_TIMEOUT:-240}" ./cuda.test -test.run '^$' -test.bench . -test.benchtime "$benchtime" -test.count "$count" -test.v >"$log/gpu.txt" 2>&1 || true
	grep -E "^(Benchmark|FAIL|panic|--- FAIL)|\.go:[0-9]+:" "$log/gpu.txt" | sort -u | head -40 | sed 's/^/  /' || true
	: >"$log/peers.txt"
	if [ "${PEERS:-1}" != 0 ] && command -v python3 >/dev/null; then
		echo "== peers (JAX jit, PyTorch) on the same device"
		# One process per peer: JAX takes most of the GPU's memory otherwise.
		for peer in jax torch; do
			XLA_PYTHON_CLIENT_PREALLOCATE=false timeout "${PEER_TIMEOUT:-150}" python3 ./gpu_peers.py "$peer" >>"$log/peers.txt" 2>"$log/$peer.err" ||
				echo "skip $peer: exit $? ($(tail -1 "$log/$peer.err"))" >>"$log/peers.txt"
		done
		sed 's/^/  /' "$log/peers.txt"
	fi
	: >"$log/cpu.txt"
	if [ "${CPU:-0}" != 0 ]; then
		./bench.test -test.run '^$' -test.bench 'ExpAffine$|BatchedSolve$|Attention$' -test.benchtime 3x -test.count 3 >"$log/cpu.txt" 2>&1 || true
	fi
	ms() { awk '{if ($1 == "-" || $1 == "") print "-"; else printf "%.3f", $1/1e6}'; }
	peer() { awk -v p="$1" -v w="$2" '$1==p && $2==w {printf "%.3f", $3; found=1} END {if (!found) print "-"}' "$log/peers.txt"; }
	printf "\n%-30s %10s %10s %10s %10s   %s\n" "workload (ms, medians)" "loom GPU" "JAX" "PyTorch" "loom CPU" "target (issue 7)"
	row() { printf "%-30s %10s %10s %10s %10s   %s\n" "$@"; }
	row "exp(a·x+b)·c 2^26 f32" "$(metric BenchmarkFusedExpAffine ns/op "$log/gpu.txt" | ms)" "$(peer jax exp)" "$(peer torch exp)" \
		"$(metric BenchmarkExpAffine ns/op "$log/cpu.txt" | ms)" "≥ 2.0 TB/s: loom $(metric BenchmarkFusedExpAffine TB/s "$log/gpu.txt") TB/s (JAX ≈ 1.88)"
	row "solve 100000×5×5 f32" "$(metric BenchmarkBatchedSolve ns/op "$log/gpu.txt" | ms)" "$(peer jax solve)" "$(peer torch solve)" \
		"$(metric BenchmarkBatchedSolve ns/op "$log/cpu.txt" | ms)" "≤ 0.3 ms (JAX ≈ 0.27)"
	row "attention B8 S1024 D1024 fp32" "$(metric BenchmarkAttention/fp32 ns/op "$log/gpu.txt" | ms)" "$(peer jax attention-fp32)" "$(peer torch attention-fp32)" \
		"$(metric BenchmarkAttention ns/op "$log/cpu.txt" | ms)" "≤ 2.0 ms (JAX ≈ 1.25 with TF32)"
	row "attention B8 S1024 D1024 tf32" "$(metric BenchmarkAttention/tf32 ns/op "$log/gpu.txt" | ms)" "$(peer jax attention-tf32)" "$(peer torch attention-tf32)" \
		"-" "≤ 2.0 ms (JAX ≈ 1.25 with TF32)"
	row "transformer train step" "$(metric BenchmarkTransformerTrainStep ns/op "$log/gpu.txt" | ms)" "-" "-" "-" "runs on the GPU"
	echo
	echo "(CPU column: loom's CPU backend on this machine, CPU=1 only; its attention is S=D=512, H=8, and its solve float64)"
	echo "logs: $log"
	return $status
}

case $mode in
build) build ;;
run) run ;;
all) build && run ;;
esac
