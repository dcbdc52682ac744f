//go:build !((linux || darwin || freebsd) && (amd64 || arm64) && !android)

package blas

import "runtime"

// open: purego's dlopen (and its cgo-free runtime) is only used on the
// platforms above; elsewhere loom runs its pure-Go kernels.
func open([]string) (string, string) {
	return "", "OpenBLAS loading not supported on " + runtime.GOOS + "/" + runtime.GOARCH
}
