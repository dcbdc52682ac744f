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
func packRowsAVX(kb int, src unsafe.Pointer, stride int, dst unsafe.Pointer, rowBytes int)

//go:noescape
func packT16AVX(kb int, b *float32, ldb int, dst *float32, stride int)

//go:noescape
func dgemmKernAVX2(k int, a, b, c *float64, ldc int, alpha, beta float64, load bool)

// AVX-512 kernels in kernel512_amd64.s: 6×64 (float32) and 6×32 (float64).
//
//go:noescape
func sgemmKernAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, load bool)

//go:noescape
func dgemmKernAVX512(k int, a, b, c *float64, ldc int, alpha, beta float64, load bool)

// The kernel level is decided from the running CPU, not from build tags, so
// one binary runs everywhere and Backend says which kernels it got. x/sys/cpu's
// HasAVX2 and HasAVX512F already include the OS's promise to save the
// ymm/zmm state.
func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		hwLevel = levelAVX2
		s32Cfg[levelAVX2] = &config[float32]{mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, kern: sgemmKernAVX2, asmPack: true}
		s64Cfg[levelAVX2] = &config[float64]{mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080, kern: dgemmKernAVX2, asmPack: true}
	}
	if hwLevel == levelAVX2 && cpu.X86.HasAVX512F {
		hwLevel = levelAVX512
		s32Cfg[levelAVX512] = &config[float32]{mr: 6, nr: 64, mc: 144, kc: 256, nc: 4096, kern: sgemmKernAVX512, asmPack: true}
		s64Cfg[levelAVX512] = &config[float64]{mr: 6, nr: 32, mc: 72, kc: 256, nc: 4096, kern: dgemmKernAVX512, asmPack: true}
	}
}
