#!/usr/bin/env python3
"""Runs loom's benchmarks and the same workloads in NumPy side by side, and
prints one table of medians and ratios (loom ÷ NumPy; below 1 is faster).

    python3 bench/compare.py [--count N] [--write bench/RESULTS.md]

NumPy is skipped, with a note, when it is not installed. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are removed from NumPy's environment only (they slow a
current NumPy on this machine)."""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# loom benchmark name -> (workload, NumPy key printed by numpy_bench.py)
WORKLOADS = [
    ("BenchmarkBatchedSolve", "batched solve 100000×5×5 f64", "batched_solve_100000x5x5_f64_ms"),
    ("BenchmarkAttention/batch=1", "attention S=512 D=512 H=8 dk=64 f32, batch 1", "attention_batch1_ms"),
    ("BenchmarkAttention/batch=8", "attention S=512 D=512 H=8 dk=64 f32, batch 8", "attention_batch8_ms"),
    ("BenchmarkGEMM/dispatch/n=512", "sgemm 512", "sgemm_512_ms"),
    ("BenchmarkGEMM/dispatch/n=1024", "sgemm 1024", "sgemm_1024_ms"),
    ("BenchmarkGEMM/dispatch/n=2048", "sgemm 2048", "sgemm_2048_ms"),
]


def loom(count):
    cmd = ["go", "test", "-run", "^$", "-bench", ".", "-benchtime", "5x", "-count", str(count), "./bench"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    times = {}
    for line in out.splitlines():
        m = re.match(r"(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)", line)
        if not m:
            continue
        name, rest = m.group(1), m.group(3)
        ns = re.search(r"([\d.]+) ns/op", rest)
        gf = re.search(r"([\d.]+) GFLOP/s", rest)
        if name.startswith("BenchmarkGEMM") and gf:
            n = int(name.rsplit("=", 1)[1])
            ms = 2 * n ** 3 / float(gf.group(1)) / 1e6
        elif ns:
            ms = float(ns.group(1)) / 1e6
        else:
            continue
        times.setdefault(name, []).append(ms)
    return {k: statistics.median(v) for k, v in times.items()}, out


def numpy_times():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    r = subprocess.run([py, os.path.join(HERE, "peers", "numpy_bench.py")], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return None, "NumPy not available: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    vals, version = {}, r.stdout.splitlines()[0]
    for line in r.stdout.splitlines()[1:]:
        parts = line.split()
        vals[parts[0]] = float(parts[1])
    return vals, version


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--write")
    args = ap.parse_args()
    lt, raw = loom(args.count)
    nt, note = numpy_times()
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        f"Measured {datetime.date.today()} on {cpu}, {os.cpu_count()} cores; {go}; {note}.",
        f"Medians of {args.count} runs (loom: `go test -bench -benchtime 5x`; NumPy: bench/peers/numpy_bench.py).",
        "",
        "| workload | loom ms | NumPy ms | loom ÷ NumPy |",
        "|---|---:|---:|---:|",
    ]
    for bench, label, key in WORKLOADS:
        l = lt.get(bench)
        n = nt.get(key) if nt else None
        ratio = f"{l / n:.2f}" if l and n else "—"
        lines.append(f"| {label} | {l:.2f} | {n:.2f} | {ratio} |" if l and n else f"| {label} | {l or float('nan'):.2f} | — | — |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write("# loom vs NumPy\n\n" + text)


if __name__ == "__main__":
    main()
