//go:build !amd64

package gemm

import "unsafe"

// No assembly on this architecture: hwLevel stays levelGeneric, the pure-Go
// micro-kernels (kernel_generic.go) and packing run, and Backend reports
// "go-generic". These stubs only satisfy the references in pack.go, which
// are guarded by config.asmPack (never set here).

func packA6AVX(kb int, a *float32, lda int, dst *float32) { panic("gemm: no assembly here") }

func packRowsAVX(kb int, src unsafe.Pointer, stride int, dst unsafe.Pointer, rowBytes int) {
	panic("gemm: no assembly here")
}

func packT16AVX(kb int, b *float32, ldb int, dst *float32, stride int) {
	panic("gemm: no assembly here")
}

func sdotRowsAVX2(rows, kv int, a *float32, lda int, x, y *float32) { panic("gemm: no assembly here") }
func ddotRowsAVX2(rows, kv int, a *float64, lda int, x, y *float64) { panic("gemm: no assembly here") }
func saxpyColsAVX2(k int, a *float32, lda int, x, y *float32, cols int) {
	panic("gemm: no assembly here")
}
func daxpyColsAVX2(k int, a *float64, lda int, x, y *float64, cols int) {
	panic("gemm: no assembly here")
}
