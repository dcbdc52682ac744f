#!/usr/bin/env python3
"""The bench/ workloads in NumPy, each in its best idiom, timed as medians.
Prints a version line, then one `key value` line per workload (milliseconds).

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


def mean_of_products(K=64, L=128, M=128, N=64):
    # D[k,n] = mean over l,m of A[k,l,m]·B[l,n]·C[k,m]
    rng = np.random.default_rng(4)
    f = np.float32
    A = rng.standard_normal((K, L, M)).astype(f)
    B = rng.standard_normal((L, N)).astype(f)
    C = rng.standard_normal((K, M)).astype(f)
    path = np.einsum_path('klm,ln,km->kn', A, B, C, optimize='optimal')[0]
    inv = f(1 / (L * M))
    return median_ms(lambda: np.einsum('klm,ln,km->kn', A, B, C, optimize=path) * inv, runs=15)


def exp_affine(n=1 << 24, a=0.5, b=0.25, c=1.5):
    # exp(a·x+b)·c: one new array, then in place (no temporaries)
    x = np.random.default_rng(5).standard_normal(n).astype(np.float32)
    a, b, c = np.float32(a), np.float32(b), np.float32(c)

    def run():
        y = x * a
        y += b
        np.exp(y, out=y)
        y *= c
        return y
    return median_ms(run, runs=11)


def row_softmax(n=4096):
    x = np.random.default_rng(6).standard_normal((n, n)).astype(np.float32)

    def run():
        y = x - x.max(axis=1, keepdims=True)
        np.exp(y, out=y)
        y /= y.sum(axis=1, keepdims=True)
        return y
    return median_ms(run, runs=11)


def mlp_step(batch=256, n_in=784, hid=512, n_out=10, lr=0.01):
    # one SGD step, forward and backward written by hand
    rng = np.random.default_rng(7)
    f = np.float32
    x = rng.standard_normal((batch, n_in)).astype(f)
    labels = rng.integers(0, n_out, batch)
    w1 = (rng.standard_normal((n_in, hid)) / np.sqrt(n_in)).astype(f)
    b1 = np.zeros(hid, f)
    w2 = (rng.standard_normal((hid, n_out)) / np.sqrt(hid)).astype(f)
    b2 = np.zeros(n_out, f)
    rows = np.arange(batch)
    lr = f(lr)

    def step():
        z = x @ w1
        z += b1
        h = np.maximum(z, 0)
        logits = h @ w2
        logits += b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, labels]).mean()
        d = p  # dloss/dlogits = (p - onehot) / batch
        d[rows, labels] -= 1
        d *= f(1 / batch)
        gw2, gb2 = h.T @ d, d.sum(axis=0)
        dh = d @ w2.T
        dh[z <= 0] = 0
        gw1, gb1 = x.T @ dh, dh.sum(axis=0)
        for w, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            w -= lr * g
        return loss
    first = step()
    assert step() < first, "NumPy MLP: loss did not go down"
    return median_ms(step, runs=15)


def gemm(n):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    ms = median_ms(lambda: a @ b, runs=7)
    return ms, 2 * n ** 3 / ms / 1e6


if __name__ == "__main__":
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"batched_solve_100000x5x5_f64_ms {batched_solve():.2f}")
    print(f"mean_of_products_ms {mean_of_products():.2f}")
    for b in (1, 8):
        print(f"attention_batch{b}_ms {attention(b):.2f}")
    print(f"exp_affine_ms {exp_affine():.2f}")
    print(f"row_softmax_ms {row_softmax():.2f}")
    print(f"mlp_step_ms {mlp_step():.2f}")
    for n in (512, 1024, 2048):
        ms, gf = gemm(n)
        print(f"sgemm_{n}_ms {ms:.2f} gflops {gf:.1f}")
