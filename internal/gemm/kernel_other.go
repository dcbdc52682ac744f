//go:build !amd64

package gemm

import "unsafe"

// No assembly micro-kernels on this architecture: the pure-Go ones
// (kernel_generic.go) are used, and Backend reports "go-generic".
var hasAsm = false

func sgemmKernAVX2Fn() kernFn[float32] { panic("no assembly kernels on this architecture") }
func dgemmKernAVX2Fn() kernFn[float64] { panic("no assembly kernels on this architecture") }

func packA6AVX(kb int, a *float32, lda int, dst *float32) {
	panic("no assembly packing on this architecture")
}

func packRows64AVX(kb int, src unsafe.Pointer, stride int, dst unsafe.Pointer) {
	panic("no assembly packing on this architecture")
}

func packT16AVX(kb int, b *float32, ldb int, dst *float32) {
	panic("no assembly packing on this architecture")
}
