//go:build amd64

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Micro-kernels in kernel_amd64.s. They compute one full MR×NR tile:
// C = alpha·(A panel · B panel) + beta·C, reading C only when load is true.
//
//go:noescape
func sgemmKernAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32, load bool)

//go:noescape
func packA6AVX(kb int, a *float32, lda int, dst *float32)

//go:noescape
func packRows64AVX(kb int, src unsafe.Pointer, stride int, dst unsafe.Pointer)

//go:noescape
func packT16AVX(kb int, b *float32, ldb int, dst *float32)

//go:noescape
func dgemmKernAVX2(k int, a, b, c *float64, ldc int, alpha, beta float64, load bool)

// hasAsm is decided from the running CPU, not from build tags, so one binary
// runs everywhere and Backend says which kernels it got. x/sys/cpu's HasAVX2
// already includes the OS's promise to save ymm state.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if hasAsm {
		s32Asm = &config[float32]{mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, kern: sgemmKernAVX2, asmPack: true}
		s64Asm = &config[float64]{mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080, kern: dgemmKernAVX2, asmPack: true}
	}
}

// The kernels as kernFn values, for tests that build their own configs.
func sgemmKernAVX2Fn() kernFn[float32] { return sgemmKernAVX2 }
func dgemmKernAVX2Fn() kernFn[float64] { return dgemmKernAVX2 }
