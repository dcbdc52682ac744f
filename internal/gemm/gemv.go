package gemm

import (
	"unsafe"

	"github.com/loomtensor/loom/internal/parallel"
)

// Matrix·vector products (m == 1 or n == 1) skip the packed GEMM path: its
// micro-kernels pad the vector side to a full register tile (16 to 64
// columns), so a batch of 128×128 matrix·vector products — the first
// contraction of the essay's D[k,n] — ran at 3.7 GFLOP/s, 16–64 times the
// needed work plus a copy of every matrix. Here each product is one pass
// over its matrix, which is all the arithmetic needs: memory-bound, so the
// kernels only have to keep up with the loads.
//
// Either product is one of two forms over a row-major matrix `mat` (row
// stride ld) and a contiguous vector x of length k:
//
//	dot:  y[r] = Σ_p mat[r·ld+p]·x[p]   (the matrix's rows are the outputs)
//	axpy: y[j] = Σ_p x[p]·mat[p·ld+j]   (its rows are summed, scaled by x)
//
// n == 1: y = op(A)·b: dot over A's rows, or axpy when A is stored
// transposed. m == 1: y = a·op(B): axpy over B's rows, or dot when B is
// stored transposed.

// gvChunk is how many outputs one kernel call produces before alpha and
// beta are applied (a stack buffer, so no allocation).
const gvChunk = 256

// gvMinElems is the matrix elements below which a batch of products runs on
// the calling goroutine: a worker hand-off costs tens of microseconds here,
// about what streaming 256K float32 takes on one core.
const gvMinElems = 1 << 18

// gemv computes the batch of products when m or n is 1 (m, n, k > 0,
// alpha != 0, the strides already checked).
func gemv[T float32 | float64](tA, tB bool, m, n, k int, alpha T,
	a []T, lda, sA int, b []T, ldb, sB int, beta T, c []T, ldc, sC int, batch int) {
	// Describe one batch element as (form, matrix, vector, output).
	type mv struct {
		dot       bool
		mat       []T
		ld, sM    int
		x         []T
		incx, sX  int
		out, incc int // outputs and their stride in C
	}
	var p mv
	if n == 1 {
		p = mv{dot: !tA, mat: a, ld: lda, sM: sA, x: b, incx: ldb, sX: sB, out: m, incc: ldc}
		if tB {
			p.incx = 1
		}
	} else {
		p = mv{dot: tB, mat: b, ld: ldb, sM: sB, x: a, incx: 1, sX: sA, out: n, incc: 1}
		if tA {
			p.incx = lda
		}
	}
	one := func(i, o0, o1 int, xbuf []T) {
		x := p.x[i*p.sX:]
		if p.incx != 1 {
			for q := range k {
				xbuf[q] = x[q*p.incx]
			}
			x = xbuf
		}
		mvRange(p.dot, o0, o1, k, p.mat[i*p.sM:], p.ld, x[:k], alpha, beta, c[i*sC:], p.incc)
	}
	xbuf := func() []T {
		if p.incx == 1 {
			return nil
		}
		return make([]T, k)
	}
	W := parallel.Workers()
	switch {
	case W == 1 || batch*p.out*k < gvMinElems:
		buf := xbuf()
		for i := range batch {
			one(i, 0, p.out, buf)
		}
	case batch >= 2*W:
		dynFor(batch, func(i int) { one(i, 0, p.out, xbuf()) })
	default:
		// Few large products: split each one's outputs in fixed, aligned
		// blocks, so every output is computed by the same kernel whichever
		// worker takes it (Run is deterministic).
		blk := max(gvChunk, roundUp((p.out+4*W-1)/(4*W), 32))
		nb := (p.out + blk - 1) / blk
		for i := range batch {
			dynFor(nb, func(q int) { one(i, q*blk, min(p.out, (q+1)*blk), xbuf()) })
		}
	}
}

// mvRange computes outputs [o0, o1) of one product in chunks:
// c[o·incc] = alpha·y[o] + beta·c[o·incc] (c not read when beta is 0).
func mvRange[T float32 | float64](dot bool, o0, o1, k int, mat []T, ld int, x []T, alpha, beta T, c []T, incc int) {
	var buf [gvChunk]T
	for lo := o0; lo < o1; lo += gvChunk {
		hi := min(o1, lo+gvChunk)
		y := buf[:hi-lo]
		if dot {
			dotRows(hi-lo, k, mat[lo*ld:], ld, x, y)
		} else {
			axpyCols(hi-lo, k, mat[lo:], ld, x, y)
		}
		switch {
		case beta == 0 && incc == 1:
			for j, v := range y {
				c[lo+j] = alpha * v
			}
		case beta == 0:
			for j, v := range y {
				c[(lo+j)*incc] = alpha * v
			}
		default:
			for j, v := range y {
				q := &c[(lo+j)*incc]
				*q = alpha*v + beta**q
			}
		}
	}
}

// dotRows sets y[r] = Σ_p mat[r·ld+p]·x[p] for r < len(y) = rows.
func dotRows[T float32 | float64](rows, k int, mat []T, ld int, x []T, y []T) {
	_ = mat[(rows-1)*ld+k-1]
	kv := 0
	if level() >= levelAVX2 {
		lanes := 32 / int(unsafe.Sizeof(x[0]))
		if kv = k &^ (lanes - 1); kv > 0 {
			if lanes == 8 {
				sdotRowsAVX2(rows, kv, (*float32)(unsafe.Pointer(&mat[0])), ld, (*float32)(unsafe.Pointer(&x[0])), (*float32)(unsafe.Pointer(&y[0])))
			} else {
				ddotRowsAVX2(rows, kv, (*float64)(unsafe.Pointer(&mat[0])), ld, (*float64)(unsafe.Pointer(&x[0])), (*float64)(unsafe.Pointer(&y[0])))
			}
		}
	}
	if kv == 0 {
		clear(y)
	}
	if kv == k {
		return
	}
	xt := x[kv:k]
	for r := range y {
		row := mat[r*ld+kv : r*ld+k]
		s := y[r]
		for p, v := range row {
			s += v * xt[p]
		}
		y[r] = s
	}
}

// axpyCols sets y[j] = Σ_p x[p]·mat[p·ld+j] for j < len(y) = cols.
func axpyCols[T float32 | float64](cols, k int, mat []T, ld int, x []T, y []T) {
	_ = mat[(k-1)*ld+cols-1]
	jv := 0
	if level() >= levelAVX2 {
		lanes := 32 / int(unsafe.Sizeof(x[0]))
		if jv = cols &^ (lanes - 1); jv > 0 {
			if lanes == 8 {
				saxpyColsAVX2(k, (*float32)(unsafe.Pointer(&mat[0])), ld, (*float32)(unsafe.Pointer(&x[0])), (*float32)(unsafe.Pointer(&y[0])), jv)
			} else {
				daxpyColsAVX2(k, (*float64)(unsafe.Pointer(&mat[0])), ld, (*float64)(unsafe.Pointer(&x[0])), (*float64)(unsafe.Pointer(&y[0])), jv)
			}
		}
	}
	if jv == cols {
		return
	}
	t := y[jv:cols]
	clear(t)
	for p, xp := range x {
		row := mat[p*ld+jv : p*ld+cols]
		for j, v := range row {
			t[j] += xp * v
		}
	}
}
