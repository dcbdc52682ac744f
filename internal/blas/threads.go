package blas

import "sync"

// The section counter makes SingleThreaded safe to nest and to run from many
// goroutines at once: the first entrant saves OpenBLAS's count and sets 1, the
// last one out restores it. Saving per call instead would let two overlapping
// calls restore in the wrong order and leave OpenBLAS stuck at one thread.
var (
	thMu    sync.Mutex
	thUsers int
	thSaved int32
)

// NumThreads is OpenBLAS's current thread count, or 0 when OpenBLAS (or its
// openblas_get_num_threads) is unavailable.
func NumThreads() int {
	if !Available() || cGetThreads == nil {
		return 0
	}
	return int(cGetThreads())
}

// SetNumThreads sets OpenBLAS's process-wide thread count and reports whether
// it could. Inside a SingleThreaded section the value set here is overwritten
// when the section ends.
func SetNumThreads(n int) bool {
	if !Available() || cSetThreads == nil || n < 1 {
		return false
	}
	cSetThreads(int32(n))
	return true
}

// SingleThreaded runs fn with OpenBLAS limited to one thread, so that callers
// that split independent GEMMs across their own workers do not oversubscribe
// the cores with OpenBLAS's threads as well. The previous count is restored
// when the last concurrent SingleThreaded call returns. Without OpenBLAS (or
// its thread-control symbols) fn simply runs.
func SingleThreaded(fn func()) {
	if !Available() || cSetThreads == nil || cGetThreads == nil {
		fn()
		return
	}
	thMu.Lock()
	if thUsers == 0 {
		thSaved = cGetThreads()
		if thSaved != 1 {
			cSetThreads(1)
		}
	}
	thUsers++
	thMu.Unlock()
	defer func() {
		thMu.Lock()
		thUsers--
		if thUsers == 0 && thSaved != 1 {
			cSetThreads(thSaved)
		}
		thMu.Unlock()
	}()
	fn()
}
