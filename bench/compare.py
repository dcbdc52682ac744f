#!/usr/bin/env python3
"""Runs loom's benchmarks and the same workloads in NumPy, PyTorch (CPU) and
gorgonia side by side, and prints one table of medians (ms) and ratios
(loom ÷ peer; below 1 means loom is faster).

    python3 bench/compare.py [--count N] [--skip numpy,torch,gorgonia] [--write bench/RESULTS.md]

A peer that is not installed (or does not build) is skipped with a note.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the Python peers'
environment only (they slow a current NumPy on this machine); loom and
gorgonia run in the caller's environment.

  loom      bench/bench_test.go     go test -bench, -benchtime 5x, -count N
  gorgonia  bench/gorgonia_test.go  go test -bench, -benchtime 1x, -count N
  NumPy     bench/peers/numpy_bench.py   medians of its own repeated runs
  PyTorch   bench/peers/torch_bench.py   medians of its own repeated runs
"""
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

# (workload, loom benchmark, NumPy/PyTorch key, gorgonia benchmark or
# "— (why not)"). The loom and gorgonia names are full sub-benchmark names.
WORKLOADS = [
    ("batched solve 100000×5×5 f64", "BenchmarkBatchedSolve",
     "batched_solve_100000x5x5_f64_ms", "— (no solve op)"),
    ("D[k,n] = mean_lm A[k,l,m]·B[l,n]·C[k,m], 64×128×128×64 f32", "BenchmarkMeanOfProducts",
     "mean_of_products_ms", "— (no einsum)"),
    ("attention S=512 D=512 H=8 dk=64 f32, batch 1", "BenchmarkAttention/batch=1",
     "attention_batch1_ms", "BenchmarkGorgoniaAttention/batch=1"),
    ("attention S=512 D=512 H=8 dk=64 f32, batch 8", "BenchmarkAttention/batch=8",
     "attention_batch8_ms", "BenchmarkGorgoniaAttention/batch=8"),
    ("exp(a·x+b)·c, 2^24 f32", "BenchmarkExpAffine", "exp_affine_ms", "BenchmarkGorgoniaExpAffine"),
    ("row softmax 4096×4096 f32", "BenchmarkRowSoftmax", "row_softmax_ms", "BenchmarkGorgoniaRowSoftmax"),
    ("MLP step 256×784→512→10 f32 (fwd+bwd+SGD)", "BenchmarkMLPStep", "mlp_step_ms", "BenchmarkGorgoniaMLPStep"),
    ("sgemm 512", "BenchmarkGEMM/dispatch/n=512", "sgemm_512_ms", "— (not run)"),
    ("sgemm 1024", "BenchmarkGEMM/dispatch/n=1024", "sgemm_1024_ms", "BenchmarkGorgoniaGEMM"),
    ("sgemm 2048", "BenchmarkGEMM/dispatch/n=2048", "sgemm_2048_ms", "— (not run)"),
]

# loom's benchmarks in the table: top level / second level (the GEMM's
# forced pure-Go runs are left out; `go test -bench . ./bench` has them).
LOOM_PATTERN = "^Benchmark(BatchedSolve|MeanOfProducts|Attention|ExpAffine|RowSoftmax|MLPStep|GEMM)$/^(batch=|dispatch$)"
GORGONIA_PATTERN = "^BenchmarkGorgonia"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def go_bench(pattern, benchtime, count, tags=None):
    """Runs `go test -bench` in bench/ and returns (medians ms, skip reasons,
    log lines, error): medians by full benchmark name (no -N suffix)."""
    cmd = ["go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
           "-count", str(count), "-timeout", "30m", "-v"]
    if tags:
        cmd += ["-tags", tags]
    r = subprocess.run(cmd + ["./bench"], cwd=ROOT, capture_output=True, text=True)
    out = r.stdout + r.stderr
    times, skips, logs, first_log, last = {}, {}, [], {}, None
    for line in out.splitlines():
        m = re.match(r"(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)", line)
        if m:
            name, rest = m.group(1), m.group(3)
            ns = re.search(r"([\d.]+) ns/op", rest)
            gf = re.search(r"([\d.]+) GFLOP/s", rest)
            if name.startswith("BenchmarkGEMM") and gf:  # loom's GEMM reports 0 ns/op
                n = int(name.rsplit("=", 1)[1])
                ms = 2 * n ** 3 / float(gf.group(1)) / 1e6
            elif ns:
                ms = float(ns.group(1)) / 1e6
            else:
                continue
            times.setdefault(name, []).append(ms)
        elif re.match(r"Benchmark\S+$", line):  # -v: a benchmark starts
            last = line
        elif m := re.match(r"\s+\S+\.go:\d+: (.*)", line):
            logs.append(m.group(1))
            first_log.setdefault(last, m.group(1))
        elif m := re.match(r"\s*--- SKIP: (Benchmark\S+?)(-\d+)?$", line):
            skips[m.group(1)] = first_log.get(m.group(1), "skipped")
    err = None if r.returncode == 0 else out
    return {k: statistics.median(v) for k, v in times.items()}, skips, logs, err


def python_for(module):
    """An interpreter that can import module: this one, else /usr/bin/python3."""
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if os.path.exists(py) and subprocess.run([py, "-c", "import " + module],
                                                 capture_output=True).returncode == 0:
            return py
    return None


def python_peer(name, module, script):
    """Runs a peers/ script: (values by key, version line) or (None, note)."""
    py = python_for(module)
    if py is None:
        return None, f"{name} skipped: `import {module}` fails (not installed)"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    r = subprocess.run([py, os.path.join(HERE, "peers", script)], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{name} skipped: " + (r.stderr.strip().splitlines() or ["failed"])[-1]
    lines = r.stdout.splitlines()
    vals = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 2:
            vals[parts[0]] = float(parts[1])
    return vals, lines[0]


def cmd_out(*cmd):
    try:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def cpu_line():
    model, flags = platform.processor(), set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = [f for f in ("avx2", "fma", "avx512f") if f in flags]
    return f"{model} ({', '.join(simd) or 'no AVX2'}), {os.cpu_count()} cores"


def fmt_ms(v):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(l, p):
    return f"{l / p:.2f}" if isinstance(l, float) and isinstance(p, float) and p > 0 else "—"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=5, help="go test -count (medians of this many runs)")
    ap.add_argument("--skip", default="", help="comma-separated peers to leave out: numpy,torch,gorgonia")
    ap.add_argument("--write", help="also write the table, with its header, to this Markdown file")
    args = ap.parse_args()
    skip = {s.strip().lower() for s in args.skip.split(",") if s.strip()}
    notes = []

    log("loom: go test -bench (this takes a minute or two)...")
    gorgonia_builds = True
    lt, lskips, llogs, err = go_bench(LOOM_PATTERN, "5x", args.count)
    if err and not lt:
        # gorgonia_test.go is in the same package: try once without it.
        lt, lskips, llogs, err2 = go_bench(LOOM_PATTERN, "5x", args.count, tags="nogorgonia")
        if err2:
            sys.exit("loom's benchmarks failed:\n" + err2)
        gorgonia_builds = False
        notes.append("gorgonia skipped: bench/ does not build with it (rerun with -tags nogorgonia):\n\n    "
                     + "\n    ".join(err.strip().splitlines()[-5:]))
    elif err:  # some benchmark failed (a wrong result, say): report the rest
        fails = [l.strip() for l in err.splitlines() if "--- FAIL" in l or re.match(r"\s+\S+\.go:\d+: ", l)]
        notes.append("some of loom's benchmarks failed:\n\n    " + "\n    ".join(fails[-8:] or err.splitlines()[-5:]))
    backend = next((l.split(": ", 1)[1] for l in llogs if l.startswith("loom GEMM backend:")), "unknown")

    gt = {}
    gorgonia_version = cmd_out("go", "list", "-m", "-f", "{{.Version}}", "gorgonia.org/gorgonia") or "?"
    if "gorgonia" in skip:
        notes.append("gorgonia skipped: --skip")
    elif gorgonia_builds:
        log("gorgonia: go test -bench ...")
        gt, gskips, _, gerr = go_bench(GORGONIA_PATTERN, "1x", args.count)
        if gerr:
            notes.append("gorgonia failed (its column is partial or empty):\n\n    "
                         + "\n    ".join(gerr.strip().splitlines()[-5:]))

    peers = {}
    for key, name, module, script in (("numpy", "NumPy", "numpy", "numpy_bench.py"),
                                      ("torch", "PyTorch", "torch", "torch_bench.py")):
        if key in skip:
            peers[key], v = None, f"{name} skipped: --skip"
        else:
            log(f"{name}: bench/peers/{script} ...")
            peers[key], v = python_peer(name, module, script)
        if peers[key] is None:
            notes.append(v)
        else:
            peers[key + "_version"] = v

    rows = []
    for label, lname, key, gname in WORKLOADS:
        l = lt.get(lname)
        if l is None and lname in lskips:
            l = lskips[lname].split(":", 1)[0]  # e.g. "pending (needs autodiff)"
        n = peers["numpy"].get(key) if peers["numpy"] else None
        t = peers["torch"].get(key) if peers["torch"] else None
        if gname.startswith("—"):
            g = gname if gorgonia_builds and "gorgonia" not in skip else None
        else:
            g = gt.get(gname)
        rows.append(f"| {label} | {fmt_ms(l)} | {fmt_ms(n)} | {fmt_ms(t)} | {fmt_ms(g)} | "
                    f"{ratio(l, n)} | {ratio(l, t)} | {ratio(l, g)} |")

    head = cmd_out("git", "rev-parse", "--short", "HEAD")
    dirty = " + uncommitted changes" if cmd_out("git", "status", "--porcelain", "--untracked-files=no") else ""
    versions = [cmd_out("go", "version"),
                peers.get("numpy_version", "NumPy —"),
                peers.get("torch_version", "PyTorch —"),
                f"gorgonia {gorgonia_version}" if gorgonia_builds and "gorgonia" not in skip else "gorgonia —"]
    header = [
        f"Measured {datetime.datetime.now():%Y-%m-%d %H:%M} on {cpu_line()}.",
        f"loom {head}{dirty}; GEMM backend: {backend}.",
        "Versions: " + "; ".join(versions) + ".",
        f"loom: medians of {args.count} × `go test -bench -benchtime 5x`; gorgonia: medians of {args.count} × "
        "`-benchtime 1x` (one graph run each); NumPy and PyTorch (2 threads): medians of 7–15 runs each. "
        "Ratios are loom ÷ peer: below 1, loom is faster.",
    ]
    table = [
        "| workload | loom ms | NumPy ms | PyTorch ms | gorgonia ms | loom÷NumPy | loom÷PyTorch | loom÷gorgonia |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ] + rows
    fixed_notes = [
        "Each peer is written in its best idiom: NumPy einsum with optimize='optimal' for D[k,n], BLAS per "
        "head for attention, in-place elementwise ops, a hand-written backward pass for the MLP; PyTorch the "
        "same (einsum operands in the optimal order: without opt_einsum it contracts left to right), "
        "nn.Linear + cross_entropy + SGD for the MLP, and reused output buffers for its two 64 MB results "
        "(a fresh 64 MB tensor costs it ~200 ms of page faults per call on this VM); gorgonia as an ExprGraph "
        "on a TapeMachine with its default (gonum, pure-Go) BLAS, attention by Go loops over sequences and "
        "heads, MLP gradients by its symbolic Grad. Every peer's result is checked once before it is timed.",
        "gorgonia cannot express the batched solve (no solve op) or D[k,n] (no einsum); its GEMM is run at "
        "n=1024 only.",
    ]
    if "BenchmarkMLPStep" in lskips:
        fixed_notes.append("loom's MLP step is pending: autodiff.Grad is not implemented yet "
                           f"(the benchmark skips: {lskips['BenchmarkMLPStep']}).")
    all_notes = fixed_notes + notes
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n\nNotes:\n\n" + \
        "\n".join("- " + n for n in all_notes) + "\n"
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write("# loom vs NumPy, PyTorch and gorgonia\n\n"
                    "Written by `python3 bench/compare.py --write bench/RESULTS.md` (`make bench` prints the "
                    "same table).\n\n" + text)


if __name__ == "__main__":
    main()
