// Package parallel runs loop bodies over a fixed pool of worker goroutines,
// one per GOMAXPROCS, started once: kernels split their work into contiguous
// blocks instead of starting a goroutine per row.
package parallel
