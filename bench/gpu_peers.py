#!/usr/bin/env python3
"""The GPU peers of bench/gpu.sh: JAX (jit) and PyTorch on the workloads of
exec/cuda's benchmarks, on the same device in the same run, so the table's
ratios compare like with like.

Each line printed is `peer workload median_ms [TB/s]`, parsed by gpu.sh. A
peer that is not installed (or finds no GPU) prints one `skip` line saying
why. Timings: a warm-up call (compile, autotune), then REPS timed calls,
each waited for; the median is printed.
"""
import math
import os
import statistics
import sys
import time

REPS = int(os.environ.get("REPS", "20"))
N_EXP = 1 << 26
N_SOLVE, D_SOLVE = 100000, 5
B, S, D, H = 8, 1024, 1024, 16
DK = D // H


def median_ms(fn, sync):
    fn()
    sync()
    times = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def report(peer, workload, ms, extra=""):
    print(f"{peer} {workload} {ms:.4f} {extra}".rstrip(), flush=True)


def run_jax():
    try:
        import jax
        import jax.numpy as jnp
    except Exception as e:  # noqa: BLE001 - any import failure means no peer
        print(f"skip jax: {e}")
        return
    if not any(d.platform == "gpu" for d in jax.devices()):
        print(f"skip jax: no GPU device ({jax.devices()})")
        return
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (N_EXP,), jnp.float32)
    f = jax.jit(lambda v: jnp.exp(0.5 * v + 0.25) * 1.5)
    ms = median_ms(lambda: f(x).block_until_ready(), lambda: None)
    report("jax", "exp", ms, f"{8 * N_EXP / ms / 1e9:.3f}")

    k1, k2 = jax.random.split(key)
    A = jax.random.normal(k1, (N_SOLVE, D_SOLVE, D_SOLVE), jnp.float32) + (D_SOLVE + 1) * jnp.eye(D_SOLVE, dtype=jnp.float32)
    b = jax.random.normal(k2, (N_SOLVE, D_SOLVE), jnp.float32)
    solve = jax.jit(jax.vmap(jnp.linalg.solve))
    ms = median_ms(lambda: solve(A, b).block_until_ready(), lambda: None)
    report("jax", "solve", ms)

    def attention(x, wq, wk, wv, wo):
        q, k, v = x @ wq, x @ wk, x @ wv
        w = jax.nn.softmax((q @ k.T) / math.sqrt(DK), axis=-1)
        return (w @ v) @ wo

    def multi_head(x, wq, wk, wv, wo):
        proj = jax.vmap(attention, in_axes=(None, 0, 0, 0, 0))(x, wq, wk, wv, wo)
        return jnp.transpose(proj, (1, 0, 2)).reshape(S, H * DK)

    ks = jax.random.split(key, 5)
    xs = jax.random.normal(ks[0], (B, S, D), jnp.float32)
    ws = [jax.random.normal(ks[i], (H, D, DK), jnp.float32) / math.sqrt(D) for i in (1, 2, 3)]
    wo = jax.random.normal(ks[4], (H, DK, DK), jnp.float32) / math.sqrt(DK)
    for name, prec in (("attention-tf32", "tensorfloat32"), ("attention-fp32", "highest")):
        with jax.default_matmul_precision(prec):
            mh = jax.jit(jax.vmap(multi_head, in_axes=(0, None, None, None, None)))
            ms = median_ms(lambda: mh(xs, *ws, wo).block_until_ready(), lambda: None)
        report("jax", name, ms)


def run_torch():
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        print(f"skip torch: {e}")
        return
    if not torch.cuda.is_available():
        print("skip torch: no CUDA device")
        return
    dev = torch.device("cuda")
    sync = torch.cuda.synchronize
    x = torch.randn(N_EXP, device=dev)
    ms = median_ms(lambda: torch.exp(0.5 * x + 0.25) * 1.5, sync)
    report("torch", "exp", ms, f"{8 * N_EXP / ms / 1e9:.3f}")

    A = torch.randn(N_SOLVE, D_SOLVE, D_SOLVE, device=dev) + (D_SOLVE + 1) * torch.eye(D_SOLVE, device=dev)
    b = torch.randn(N_SOLVE, D_SOLVE, 1, device=dev)
    ms = median_ms(lambda: torch.linalg.solve(A, b), sync)
    report("torch", "solve", ms)

    xs = torch.randn(B, S, D, device=dev)
    wq, wk, wv = (torch.randn(H, D, DK, device=dev) / math.sqrt(D) for _ in range(3))
    wo = torch.randn(H, DK, DK, device=dev) / math.sqrt(DK)

    def mh():
        xh = xs.unsqueeze(1)  # [B,1,S,D] against [H,D,dk]
        q, k, v = xh @ wq, xh @ wk, xh @ wv
        w = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(DK), dim=-1)
        return ((w @ v) @ wo).transpose(1, 2).reshape(B, S, H * DK)

    for name, tf32 in (("attention-tf32", True), ("attention-fp32", False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        with torch.no_grad():
            ms = median_ms(mh, sync)
        report("torch", name, ms)


if __name__ == "__main__":
    which = sys.argv[1:] or ["jax", "torch"]
    for peer in which:
        try:
            {"jax": run_jax, "torch": run_torch}[peer]()
        except Exception as e:  # noqa: BLE001 - one peer failing must not hide the other
            print(f"skip {peer}: {type(e).__name__}: {e}")
