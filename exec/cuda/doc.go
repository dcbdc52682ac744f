// Package cuda is loom's NVIDIA GPU backend, in pure Go: the CUDA driver
// (libcuda.so.1), the runtime compiler NVRTC (libnvrtc.so) and cuBLAS
// (libcublas.so) are loaded when a program first asks for the GPU, through
// github.com/ebitengine/purego — no cgo, no CUDA headers at build time, no
// build tags. exec.OnCUDA() selects it; where a library, the driver or a
// device is missing, Open's error says which.
//
// The driver binds contexts to OS threads, so every driver, NVRTC and
// cuBLAS call runs on one goroutine locked to its thread (Device.do); a
// Run is one job there, which also serializes concurrent Runs. Every status
// becomes an *Error carrying its name (CUDA_ERROR_INVALID_CONTEXT, ...).
//
// A program runs node by node on the device, as the optimizer left it:
//   - chains of elementwise ops (Unary, Binary, Where, Cast) become one
//     generated kernel (Expr: a small SSA expression IR), reading each
//     operand once and writing once, with a grid-stride loop;
//   - reductions, (log-)softmax along any axis, transposes, broadcasts,
//     slices, concatenation, gathers, Unselect, Einsum (one thread per
//     output element) and Scatter (deterministic: entries grouped by row
//     with a counting sort, then each table element sums its rows' entries
//     in index order — no float atomics) are generated kernels too;
//   - Solve, Inv and Cholesky over batch dims: up to 16 unknowns one matrix
//     per thread in a generated kernel (float64 arithmetic, partial
//     pivoting); beyond, Solve and Inv through cuBLAS's batched LU
//     (D{getrf,getrs,getri}Batched, float32 widened to float64) and
//     Cholesky one thread block per matrix; a singular or indefinite matrix
//     is a run error naming it;
//   - MatMul, Outer and BatchMatMul go to cuBLAS (row-major through the
//     usual operand swap): a batch whose matrices lie one stride apart to
//     cublas*gemmStridedBatched, any other batch layout (permuted batch
//     dims the optimizer left for the GEMM to read) to cublas*gemmBatched
//     with device arrays of matrix pointers;
//   - reshapes are views;
//   - the user's Custom ops (and loops kept around them) run on the host,
//     their operands copied across the bus: Go code has nowhere else to
//     run. Explain lists them.
//
// Generated CUDA C is compiled by NVRTC for the device's compute capability
// (--gpu-architecture=sm_XY, SASS) once per source, cached by its hash;
// sizes travel in each kernel's one parameter struct, so a module serves
// every shape. Device memory follows the program's memory plan
// (exec/memplan, over the device steps): intermediates live in slots of one
// arena allocated by the first run and reused by every later one,
// elementwise kernels write over operands that die at them, and outputs and
// host results come from a pool of size classes (values go back to it after
// their last reader).
//
// An op without a device kernel (an int64 GEMM, Scatter of bools, an
// Einsum of more than 8 operands or letters) makes Prepare — and so
// exec.Compile — fail with ErrNoKernel, never a silent CPU fallback.
// LOOM_CUDA_HOST=1 is the explicit fallback: such nodes then run on the
// host by their reference rule, their operands copied across the bus.
//
// Backend.Put, Call and Tensor.Dense keep values on the device between
// runs. LOOM_CUDA_TF32=1 lets float32 GEMMs use TF32 tensor cores.
//
// Tests: the code generator has golden sources (testdata/*.cu); an
// emulator (emu_test.go) compiles the generated kernels with g++ against a
// small CUDA shim and runs the op suite through the whole backend against
// the reference interpreter (LOOM_CUDA_EMU=1); the same suite and the
// benchmarks run on a real GPU when one is present and skip otherwise.
package cuda
