package gemm

import (
	"sync"
	"unsafe"
)

// kernFn computes one full mr×nr tile from packed panels:
// C = alpha·(A·B) + beta·C over k steps, reading C only when load is true.
type kernFn[T float32 | float64] func(k int, a, b, c *T, ldc int, alpha, beta T, load bool)

// config is one micro-kernel with its cache blocking (BLIS's five loops):
// a kc×nr B micro-panel stays in L1 while the kernel sweeps the mc×kc A block
// held in L2; the kc×nc B block lives in L3.
type config[T float32 | float64] struct {
	mr, nr     int
	mc, kc, nc int
	kern       kernFn[T]
	asmPack    bool // pack with the assembly routines of pack_amd64.s
}

// Kernel levels, best last; hwLevel is what the running CPU supports (set in
// kernel_amd64.go's init from its CPUID feature bits).
const (
	levelGeneric = iota
	levelAVX2
	levelAVX512
)

var levelNames = [...]string{"go-generic", "go-avx2", "go-avx512"}

var hwLevel = levelGeneric

// Configs per level. Block sizes were chosen for Zen3 (32 KiB L1d, 512 KiB L2
// per core): float32 AVX2 kc=256 makes a B micro-panel (kc×16) 16 KiB, half
// of L1, and mc=144 an A block of 144 KiB, well inside L2; float64 halves mc
// to keep the A block's bytes. On the measuring machine (a Zen5-class EPYC:
// 48 KiB L1d, 1 MiB L2) mc 72–288 × kc 192–512 measured the same within
// noise for AVX2, so the Zen3-safe sizes stay; for AVX-512 (B rows of 256
// bytes) kc 192–384 beat 96–128 by ~5% at 512³–1024³, so kc=256 there too.
var (
	s32Cfg = [3]*config[float32]{
		levelGeneric: {mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, kern: kernGeneric[float32](6, 16)},
	}
	s64Cfg = [3]*config[float64]{
		levelGeneric: {mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080, kern: kernGeneric[float64](6, 8)},
	}
)

// work is one goroutine's packing buffers, recycled through a pool so that a
// GEMM in a hot loop does not allocate them again.
type work[T float32 | float64] struct {
	a, b, tile []T
}

var pools [2]sync.Pool // [0] float32, [1] float64

func poolOf[T float32 | float64]() *sync.Pool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return &pools[0]
	}
	return &pools[1]
}

// aligned returns n elements starting on a 64-byte boundary, so packed panels
// never split a vector load across cache lines.
func aligned[T float32 | float64](n int) []T {
	var z T
	pad := 64 / int(unsafe.Sizeof(z))
	s := make([]T, n+pad)
	off := int(uintptr(unsafe.Pointer(&s[0]))%64) / int(unsafe.Sizeof(z))
	if off != 0 {
		off = pad - off
	}
	return s[off : off+n : off+n]
}

// getWork returns buffers of at least na and nb elements for packed A and
// B blocks, and a tile for ragged edges.
func getWork[T float32 | float64](cf *config[T], na, nb int) *work[T] {
	w, _ := poolOf[T]().Get().(*work[T])
	if w == nil {
		w = &work[T]{}
	}
	if len(w.a) < na {
		w.a = aligned[T](na)
	}
	if len(w.b) < nb {
		w.b = aligned[T](nb)
	}
	if len(w.tile) < cf.mr*cf.nr {
		w.tile = aligned[T](cf.mr * cf.nr)
	}
	return w
}

func putWork[T float32 | float64](w *work[T]) { poolOf[T]().Put(w) }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// aSize and bSize are the packed sizes of an A block of up to mc×kc and a B
// block of up to kc×nc for an m×n×k problem.
func (cf *config[T]) aSize(m, k int) int { return min(cf.kc, k) * roundUp(min(cf.mc, m), cf.mr) }
func (cf *config[T]) bSize(n, k int) int { return min(cf.kc, k) * roundUp(min(cf.nc, n), cf.nr) }

// seq runs run with pooled buffers.
func (cf *config[T]) seq(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	w := getWork(cf, cf.aSize(m, k), cf.bSize(n, k))
	cf.run(w, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	putWork(w)
}

// run is the single-threaded blocked GEMM. It assumes m, n, k > 0 and
// alpha != 0 (the caller handles the degenerate cases).
func (cf *config[T]) run(w *work[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for jc := 0; jc < n; jc += cf.nc {
		nb := min(cf.nc, n-jc)
		for pc := 0; pc < k; pc += cf.kc {
			kb := min(cf.kc, k-pc)
			packB(tB, b, ldb, pc, jc, kb, nb, cf.nr, w.b, cf.asmPack)
			bet, load := firstK(pc, beta)
			for ic := 0; ic < m; ic += cf.mc {
				mb := min(cf.mc, m-ic)
				packA(tA, a, lda, ic, pc, mb, kb, cf.mr, w.a, cf.asmPack)
				cf.macro(w.a, w.b, w.tile, mb, nb, kb, alpha, bet, load, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// firstK: only the first k block applies beta (reading C only if beta != 0);
// later blocks accumulate into it.
func firstK[T float32 | float64](pc int, beta T) (T, bool) {
	if pc > 0 {
		return 1, true
	}
	return beta, beta != 0
}

// macro sweeps one packed A block (pa) against one packed B block (pb). jr is
// the outer loop so each B micro-panel is loaded into L1 once and reused
// mb/mr times.
func (cf *config[T]) macro(pa, pb, tile []T, mb, nb, kb int, alpha, beta T, load bool, c []T, ldc int) {
	mr, nr := cf.mr, cf.nr
	for jr := 0; jr < nb; jr += nr {
		nv := min(nr, nb-jr)
		bp := &pb[jr*kb]
		for ir := 0; ir < mb; ir += mr {
			mv := min(mr, mb-ir)
			ap := &pa[ir*kb]
			if mv == mr && nv == nr {
				cf.kern(kb, ap, bp, &c[ir*ldc+jr], ldc, alpha, beta, load)
				continue
			}
			// Ragged edge: compute the full (zero-padded) tile aside, then
			// merge only the valid part, so the kernel never writes past C.
			t := tile
			cf.kern(kb, ap, bp, &t[0], nr, 1, 0, false)
			for i := range mv {
				cr := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+nv]
				tr := t[i*nr : i*nr+nv]
				if load {
					for j, v := range tr {
						cr[j] = alpha*v + beta*cr[j]
					}
				} else {
					for j, v := range tr {
						cr[j] = alpha * v
					}
				}
			}
		}
	}
}
