//go:build !amd64

package gemm

// No assembly micro-kernels on this architecture: the pure-Go ones
// (kernel_generic.go) are used, and Backend reports "go-generic".
var hasAsm = false

func sgemmKernAVX2Fn() kernFn[float32] { panic("no assembly kernels on this architecture") }
func dgemmKernAVX2Fn() kernFn[float64] { panic("no assembly kernels on this architecture") }

func packA6AVX(kb int, a *float32, lda int, dst *float32) {
	panic("no assembly packing on this architecture")
}
