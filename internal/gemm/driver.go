package gemm

import (
	"sync"
	"unsafe"

	"github.com/loomtensor/loom/internal/parallel"
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

// Block sizes for Zen3 (32 KiB L1d, 512 KiB L2 per core), tuned by measurement
// (see bench_test.go): float32 kc=256 makes a B micro-panel 16 KiB, half of L1;
// mc=144 makes the A block 144 KiB, well inside L2 with room for B traffic.
// float64 halves mc to keep the A block the same size in bytes.
var (
	s32Asm *config[float32] // nil without AVX2+FMA
	s64Asm *config[float64]
	s32Gen = &config[float32]{mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, kern: kernGeneric[float32](6, 16)}
	s64Gen = &config[float64]{mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080, kern: kernGeneric[float64](6, 8)}
)

// work is one goroutine's packing buffers, recycled through a pool so that a
// GEMM in a hot loop allocates nothing.
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

// getWork returns buffers big enough for an m×n×k problem under cf.
func getWork[T float32 | float64](cf *config[T], m, n, k int) *work[T] {
	w, _ := poolOf[T]().Get().(*work[T])
	if w == nil {
		w = &work[T]{}
	}
	kb := min(cf.kc, k)
	na := kb * roundUp(min(cf.mc, m), cf.mr)
	nb := kb * roundUp(min(cf.nc, n), cf.nr)
	if len(w.a) < na {
		w.a = aligned[T](max(na, cf.kc*cf.mc/4))
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

// run is the single-threaded blocked GEMM. It assumes m, n, k > 0 and
// alpha != 0 (the caller handles the degenerate cases).
func (cf *config[T]) run(w *work[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for jc := 0; jc < n; jc += cf.nc {
		nb := min(cf.nc, n-jc)
		for pc := 0; pc < k; pc += cf.kc {
			kb := min(cf.kc, k-pc)
			packB(tB, b, ldb, pc, jc, kb, nb, cf.nr, w.b, cf.asmPack)
			// Only the first k block applies beta; later ones accumulate.
			bet, load := beta, beta != 0
			if pc > 0 {
				bet, load = 1, true
			}
			for ic := 0; ic < m; ic += cf.mc {
				mb := min(cf.mc, m-ic)
				packA(tA, a, lda, ic, pc, mb, kb, cf.mr, w.a, cf.asmPack)
				cf.macro(w, mb, nb, kb, alpha, bet, load, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// macro sweeps one packed A block against one packed B block. jr is the outer
// loop so each B micro-panel is loaded into L1 once and reused mb/mr times.
func (cf *config[T]) macro(w *work[T], mb, nb, kb int, alpha, beta T, load bool, c []T, ldc int) {
	mr, nr := cf.mr, cf.nr
	for jr := 0; jr < nb; jr += nr {
		nv := min(nr, nb-jr)
		bp := &w.b[jr*kb]
		for ir := 0; ir < mb; ir += mr {
			mv := min(mr, mb-ir)
			ap := &w.a[ir*kb]
			if mv == mr && nv == nr {
				cf.kern(kb, ap, bp, &c[ir*ldc+jr], ldc, alpha, beta, load)
				continue
			}
			// Ragged edge: compute the full (zero-padded) tile aside, then
			// merge only the valid part, so the kernel never writes past C.
			t := w.tile
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

// minBlockFlops is the least work worth handing to another worker: below
// ~4 MFLOP (tens of microseconds) the pool's hand-off costs more than it saves.
const minBlockFlops = 4 << 20

// split runs fn over strips of the m×n output, in parallel when the GEMM is
// big enough: row strips [i0,i1) (multiples of mr) or, when rows are too few
// to share evenly, column strips [j0,j1) (multiples of nr). Each strip is a
// complete, independent GEMM: no barriers, and re-packing the shared operand
// per strip costs O(k·n) against O(m·n·k/workers) of arithmetic.
func split(m, n, k, mr, nr int, fn func(i0, i1, j0, j1 int)) {
	W := parallel.Workers()
	mp, np := (m+mr-1)/mr, (n+nr-1)/nr
	if W == 1 || 2*m*n*k < 2*minBlockFlops || (mp < 2 && np < 2) {
		fn(0, m, 0, n)
		return
	}
	if imbalance(mp, W) <= 1.15 || imbalance(mp, W) <= imbalance(np, W) {
		grain := max(1, minBlockFlops/(2*mr*n*k))
		parallel.For(mp, grain, func(lo, hi int) { fn(lo*mr, min(hi*mr, m), 0, n) })
		return
	}
	grain := max(1, minBlockFlops/(2*nr*m*k))
	parallel.For(np, grain, func(lo, hi int) { fn(0, m, lo*nr, min(hi*nr, n)) })
}

// imbalance is the slowest worker's share relative to a perfect split of p
// panels over W workers.
func imbalance(p, W int) float64 {
	return float64((p+W-1)/W*W) / float64(p)
}

// offsets locates the strip (rows i0.., columns j0..) of op(A), op(B), C.
func offsets(tA, tB bool, i0, j0, lda, ldb, ldc int) (ao, bo, co int) {
	ao, bo = i0*lda, j0
	if tA {
		ao = i0
	}
	if tB {
		bo = j0 * ldb
	}
	return ao, bo, i0*ldc + j0
}

// gemm runs one GEMM (m, n, k > 0, alpha != 0) on the worker pool.
func (cf *config[T]) gemm(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	split(m, n, k, cf.mr, cf.nr, func(i0, i1, j0, j1 int) {
		ao, bo, co := offsets(tA, tB, i0, j0, lda, ldb, ldc)
		w := getWork(cf, i1-i0, j1-j0, k)
		cf.run(w, tA, tB, i1-i0, j1-j0, k, alpha, a[ao:], lda, b[bo:], ldb, beta, c[co:], ldc)
		putWork(w)
	})
}
