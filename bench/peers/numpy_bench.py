#!/usr/bin/env python3
"""The bench/ workloads in NumPy, each in its best idiom, timed as medians.

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they slow a current
NumPy on this machine):  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/peers/numpy_bench.py
"""
import statistics
import sys
import time

import numpy as np


def median_ms(fn, runs=15, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def batched_solve():
    rng = np.random.default_rng(1)
    n, d = 100000, 5
    A = rng.standard_normal((n, d, d)) + d * np.eye(d)
    x = rng.standard_normal((n, d))
    return median_ms(lambda: np.linalg.solve(A, x[..., None])[..., 0])


def attention(batch, S=512, D=512, H=8, dk=64):
    rng = np.random.default_rng(2)
    f = np.float32
    x = rng.standard_normal((batch, S, D)).astype(f)
    wq, wk, wv = (rng.standard_normal((H, D, dk)).astype(f) / np.sqrt(D) for _ in range(3))
    wo = rng.standard_normal((H, dk, dk)).astype(f) / np.sqrt(dk)

    def run():  # BLAS per head, as a careful NumPy user writes it
        out = np.empty((batch, S, H * dk), f)
        for b in range(batch):
            for h in range(H):
                q, k, v = x[b] @ wq[h], x[b] @ wk[h], x[b] @ wv[h]
                s = (q @ k.T) * f(1 / np.sqrt(dk))
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                out[b, :, h * dk:(h + 1) * dk] = (s @ v) @ wo[h]
        return out
    return median_ms(run, runs=7 if batch > 1 else 15)


def gemm(n):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    ms = median_ms(lambda: a @ b, runs=7)
    return ms, 2 * n ** 3 / ms / 1e6


if __name__ == "__main__":
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"batched_solve_100000x5x5_f64_ms {batched_solve():.2f}")
    for b in (1, 8):
        print(f"attention_batch{b}_ms {attention(b):.2f}")
    for n in (512, 1024, 2048):
        ms, gf = gemm(n)
        print(f"sgemm_{n}_ms {ms:.2f} gflops {gf:.1f}")
