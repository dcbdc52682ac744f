package gemm

import (
	"runtime"
	"sync/atomic"

	"github.com/loomtensor/loom/internal/parallel"
)

// minBlockFlops is the least work worth handing to another worker: below
// ~4 MFLOP (tens of microseconds) the pool's hand-off costs more than it saves.
const minBlockFlops = 4 << 20

// sharedBudget caps the shared packed operand of a parallel GEMM (elements):
// 8 MiB of float32 keeps it in L3 next to the workers' private blocks.
// A variable so tests can force several passes on small problems.
var sharedBudget = 2 << 20

// dynFor runs body(i) for i in [0, n) on the worker pool, handing out indices
// one at a time from a shared counter instead of fixed ranges. Why: on this
// (virtualized, shared) machine a pool worker that was idle starts 0.1–0.3 ms
// after parallel.For queues its block; with fixed halves the whole call waits
// for it, while here the caller simply takes more of the work. It also
// rebalances when a neighbour process steals one of the cores.
//
// The caller (parallel.For runs the last block on the calling goroutine)
// yields once before starting: the woken worker goroutine sits in the
// caller's P's run-next slot, from which another P steals it only after
// ~0.2 ms here, while the yielding caller is picked up from the global queue
// in ~0.03 ms (measured worker start latency p50: 185 µs → 32 µs).
func dynFor(n int, body func(i int)) {
	var next atomic.Int64
	p := min(n, parallel.Workers())
	parallel.For(p, 1, func(lo, _ int) {
		if lo == p-1 && p > 1 {
			runtime.Gosched()
		}
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			body(i)
		}
	})
}

// gemm runs one GEMM (m, n, k > 0, alpha != 0) on the worker pool. Small
// problems run on the calling goroutine. Otherwise the larger operand's
// blocks are packed once into a shared buffer (B when there are enough rows
// to share out, else A) by all workers together, and then the workers take
// strips of C (row strips, or column strips when m is small) dynamically,
// each packing its private blocks of the other operand.
func (cf *config[T]) gemm(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	W := parallel.Workers()
	if W == 1 || 2*m*n*k < 2*minBlockFlops {
		cf.seq(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if (m+cf.mr-1)/cf.mr < 4*W && m <= cf.mc && (n+cf.nr-1)/cf.nr >= 4*W {
		cf.gemmCols(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	cf.gemmRows(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// chunk picks a strip size: about four strips per worker, so dynamic hand-out
// can even out late starts, in multiples of unit and at most limit.
func chunk(size, unit, limit int) int {
	W := parallel.Workers()
	return min(max(unit, roundUp((size+4*W-1)/(4*W), unit)), limit)
}

// gemmRows: B shared, row strips of C.
func (cf *config[T]) gemmRows(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	mr, nr, kc := cf.mr, cf.nr, cf.kc
	rc := chunk(m, mr, cf.mc)
	nq := (k + kc - 1) / kc
	// Column range per pass bounded by the shared buffer's budget.
	step := max(nr, min(roundUp(n, nr), sharedBudget/k/nr*nr))
	const groupPanels = 8 // panels per packing task
	sh := getWork(cf, 0, k*step)
	for jc := 0; jc < n; jc += step {
		nb := min(step, n-jc)
		nbR := roundUp(nb, nr)
		groups := (nbR/nr + groupPanels - 1) / groupPanels
		nPack, nRows := nq*groups, (m+rc-1)/rc
		var packed atomic.Int64
		dynFor(nPack+nRows, func(t int) {
			if t < nPack {
				q, g := t/groups, t%groups
				pc, g0 := q*kc, g*groupPanels*nr
				kb, gw := min(kc, k-pc), min(groupPanels*nr, nb-g0)
				packB(tB, b, ldb, pc, jc+g0, kb, gw, nr, sh.b[pc*nbR+g0*kb:], cf.asmPack)
				packed.Add(1)
				return
			}
			// Tasks are handed out in order, so every packing task has been
			// taken by a running goroutine: wait for the last to finish.
			for packed.Load() < int64(nPack) {
				runtime.Gosched()
			}
			i0 := (t - nPack) * rc
			mb := min(rc, m-i0)
			w := getWork(cf, cf.aSize(mb, k), 0)
			for pc := 0; pc < k; pc += kc {
				kb := min(kc, k-pc)
				packA(tA, a, lda, i0, pc, mb, kb, mr, w.a, cf.asmPack)
				bet, load := firstK(pc, beta)
				cf.macro(w.a, sh.b[pc*nbR:], w.tile, mb, nb, kb, alpha, bet, load, c[i0*ldc+jc:], ldc)
			}
			putWork(w)
		})
	}
	putWork(sh)
}

// gemmCols: A (at most mc rows) shared, column strips of C.
func (cf *config[T]) gemmCols(tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	mr, nr, kc := cf.mr, cf.nr, cf.kc
	cw := chunk(n, nr, cf.nc)
	nq := (k + kc - 1) / kc
	mR := roundUp(m, mr)
	sh := getWork(cf, k*mR, 0)
	nCols := (n + cw - 1) / cw
	var packed atomic.Int64
	dynFor(nq+nCols, func(t int) {
		if t < nq {
			pc := t * kc
			packA(tA, a, lda, 0, pc, m, min(kc, k-pc), mr, sh.a[pc*mR:], cf.asmPack)
			packed.Add(1)
			return
		}
		for packed.Load() < int64(nq) {
			runtime.Gosched()
		}
		j0 := (t - nq) * cw
		nb := min(cw, n-j0)
		w := getWork(cf, 0, cf.bSize(nb, k))
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(tB, b, ldb, pc, j0, kb, nb, nr, w.b, cf.asmPack)
			bet, load := firstK(pc, beta)
			cf.macro(sh.a[pc*mR:], w.b, w.tile, m, nb, kb, alpha, bet, load, c[j0:], ldc)
		}
		putWork(w)
	})
	putWork(sh)
}

// split runs fn over strips of the m×n output for a library that packs
// internally (OpenBLAS): row strips [i0,i1) in multiples of mr or, when rows
// are too few to share evenly, column strips [j0,j1) in multiples of nr. Each
// strip re-packs the shared operand, so there is one strip per worker.
func split(m, n, k, mr, nr int, fn func(i0, i1, j0, j1 int)) {
	W := parallel.Workers()
	mp, np := (m+mr-1)/mr, (n+nr-1)/nr
	if W == 1 || 2*m*n*k < 2*minBlockFlops || (mp < 2 && np < 2) {
		fn(0, m, 0, n)
		return
	}
	if imbalance(mp, W) <= 1.15 || imbalance(mp, W) <= imbalance(np, W) {
		s := min(W, mp)
		dynFor(s, func(i int) { fn(i*mp/s*mr, min((i+1)*mp/s*mr, m), 0, n) })
		return
	}
	s := min(W, np)
	dynFor(s, func(i int) { fn(0, m, i*np/s*nr, min((i+1)*np/s*nr, n)) })
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
