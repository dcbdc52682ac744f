// Package blas loads OpenBLAS at run time, without cgo, and exposes the few
// CBLAS routines loom's kernels need (row-major sgemm and dgemm).
//
// Why run-time loading: loom must build and run everywhere with
// CGO_ENABLED=0, yet OpenBLAS is 10× faster than naive Go GEMM and ~1.5×
// faster than our own assembly path. So the library is dlopen'ed through
// github.com/ebitengine/purego the first time anything asks for it; when it is
// absent (or LOOM_BLAS=go), Available reports false, Reason says why, and
// callers fall back to pure Go. Nothing here panics because the library is
// missing; only calling Sgemm/Dgemm after Available returned false does.
//
// Search order: LOOM_BLAS when it names a file path (contains a '/'), then
// libopenblas.so.0, libopenblas.so (the dynamic loader's search path), then the
// Debian/Ubuntu locations /usr/lib/x86_64-linux-gnu/libopenblas.so.0 and
// /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0.
//
// Threads: OpenBLAS keeps a process-wide thread count. SingleThreaded lowers
// it to one for the duration of a function and restores it when the last
// concurrent caller leaves, so that loom can run OpenBLAS on its own worker
// pool (one call per worker) without OpenBLAS's threads competing with the
// pool; other users of the library see the count they set once loom's call
// returns. CoreName tells which kernel set OpenBLAS chose for this CPU.
package blas
