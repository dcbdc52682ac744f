#!/usr/bin/env python3
"""The bench/ workloads in PyTorch (CPU, 2 threads), each in its best idiom,
timed as medians. Prints a version line, then one `key value` line per
workload (milliseconds), with the keys of numpy_bench.py.

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as for NumPy:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/peers/torch_bench.py
Exits 1 with a one-line reason on stderr when PyTorch is not installed
(Debian: apt-get install python3-torch).
"""
import math
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # compare.py reports the last stderr line
    sys.exit(f"PyTorch not installed ({e})")


# OUTPUTS: the two workloads with a 64 MB result (exp_affine, row_softmax)
# write it into a buffer allocated once. On this VM a fresh 64 MB tensor costs
# PyTorch ~200 ms of page faults per call (its allocator maps and unmaps it
# each time without huge pages; NumPy asks for huge pages and does not pay
# it), which would swamp the kernels being compared.


def median_ms(fn, runs=15, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def batched_solve():
    g = gen(1)
    n, d = 100000, 5
    A = torch.randn(n, d, d, generator=g, dtype=torch.float64) + d * torch.eye(d, dtype=torch.float64)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    return median_ms(lambda: torch.linalg.solve(A, x.unsqueeze(-1)).squeeze(-1), runs=7)


def mean_of_products(K=64, L=128, M=128, N=64):
    # D[k,n] = mean over l,m of A[k,l,m]·B[l,n]·C[k,m]
    g = gen(4)
    A = torch.randn(K, L, M, generator=g)
    B = torch.randn(L, N, generator=g)
    C = torch.randn(K, M, generator=g)
    inv = 1 / (L * M)
    # Without opt_einsum (Debian has none) torch contracts left to right, so
    # the operands go in the optimal order: A·C over m first, then ·B over l.
    return median_ms(lambda: torch.einsum('klm,km,ln->kn', A, C, B) * inv)


def attention(batch, S=512, D=512, H=8, dk=64):
    g = gen(2)
    x = torch.randn(batch, S, D, generator=g)
    wq, wk, wv = (torch.randn(H, D, dk, generator=g) / math.sqrt(D) for _ in range(3))
    wo = torch.randn(H, dk, dk, generator=g) / math.sqrt(dk)
    scale = 1 / math.sqrt(dk)

    def run():  # BLAS per head, as for NumPy (it beat heads-as-a-batch-dim here)
        out = torch.empty(batch, S, H * dk)
        for b in range(batch):
            for h in range(H):
                q, k, v = x[b] @ wq[h], x[b] @ wk[h], x[b] @ wv[h]
                w = torch.softmax((q @ k.T) * scale, dim=-1)
                out[b, :, h * dk:(h + 1) * dk] = (w @ v) @ wo[h]
        return out
    return median_ms(run, runs=7 if batch > 1 else 15)


def exp_affine(n=1 << 24, a=0.5, b=0.25, c=1.5):
    x = torch.randn(n, generator=gen(5))

    y = torch.empty(n)

    def run():  # into a reused buffer, in place (see OUTPUTS)
        return torch.mul(x, a, out=y).add_(b).exp_().mul_(c)
    return median_ms(run, runs=11)


def row_softmax(n=4096):
    x = torch.randn(n, n, generator=gen(6))
    y = torch.empty(n, n)
    try:  # torch.softmax with a reused output (see OUTPUTS)
        softmax_out = torch.ops.aten._softmax.out
        return median_ms(lambda: softmax_out(x, 1, False, out=y), runs=11)
    except (AttributeError, RuntimeError):
        return median_ms(lambda: torch.softmax(x, dim=1), runs=11)


def mlp_step(batch=256, n_in=784, hid=512, n_out=10, lr=0.01):
    g = gen(7)
    torch.manual_seed(7)
    x = torch.randn(batch, n_in, generator=g)
    labels = torch.randint(0, n_out, (batch,), generator=g)
    model = torch.nn.Sequential(torch.nn.Linear(n_in, hid), torch.nn.ReLU(), torch.nn.Linear(hid, n_out))
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss.item()
    first = step()
    assert step() < first, "PyTorch MLP: loss did not go down"
    return median_ms(step)


def gemm(n):
    g = gen(3)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    ms = median_ms(lambda: a @ b, runs=7)
    return ms, 2 * n ** 3 / ms / 1e6


if __name__ == "__main__":
    torch.set_num_threads(2)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), python {sys.version.split()[0]}")
    with torch.inference_mode():
        print(f"batched_solve_100000x5x5_f64_ms {batched_solve():.2f}")
        print(f"mean_of_products_ms {mean_of_products():.2f}")
        for b in (1, 8):
            print(f"attention_batch{b}_ms {attention(b):.2f}")
        print(f"exp_affine_ms {exp_affine():.2f}")
        print(f"row_softmax_ms {row_softmax():.2f}")
    print(f"mlp_step_ms {mlp_step():.2f}")
    with torch.inference_mode():
        for n in (512, 1024, 2048):
            ms, gf = gemm(n)
            print(f"sgemm_{n}_ms {ms:.2f} gflops {gf:.1f}")
