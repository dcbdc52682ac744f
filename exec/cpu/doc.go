// Package cpu is loom's CPU backend: fast kernels over row-major buffers that
// loom owns, run on a fixed pool of workers (one per core). It receives
// programs whose loops are already lowered into batched primitives; each node
// runs with a kernel chosen by its op (GEMM through OpenBLAS or loom's own
// assembly, batched small solves, elementwise and softmax loops, copy-free
// reshapes), and falls back to the op's reference rule where no kernel
// exists yet. Loops that lowering kept (ops without a batching rule) run in
// parallel over their indices. Fused kernels (optimize's fuse pass) run their
// expression over L1-sized chunks of the output with vmath slice loops, and
// matmul epilogues run on each block of the product right after its GEMM.
// Memory is planned once per program (Plan): buffers by liveness, in place
// where safe, and arena slots that runs reuse.
package cpu
