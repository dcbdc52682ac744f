package linalg

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/loomtensor/loom/internal/parallel"
)

// Float is the element type of every kernel here.
type Float interface{ float32 | float64 }

var (
	// ErrSingular is wrapped by Solve and Inv for a matrix that is singular
	// to working precision (see the package doc).
	ErrSingular = errors.New("matrix is singular")
	// ErrNotPositiveDefinite is wrapped by Cholesky, also for NaN or ±Inf
	// input, as the reference interpreter does.
	ErrNotPositiveDefinite = errors.New("matrix is not positive definite")
	// ErrNotFinite is wrapped by Solve and Inv for a matrix holding NaN or
	// ±Inf: elimination would silently return garbage.
	ErrNotFinite = errors.New("matrix has a non-finite element")
)

// Solve solves A_i·X_i = B_i for i < batch, with A_i = a[i·n·n:] (n×n) and
// B_i = b[i·n·k:] (n×k), into X_i = x[i·n·k:], all row-major; k = 1 is a
// vector right-hand side. a and b are not modified and x may be b. The first
// failing system is reported as "system i: …" wrapping ErrSingular or
// ErrNotFinite; x is then unspecified.
func Solve[T Float](a, b, x []T, n, k, batch int) error {
	if err := checkLens("Solve", n, k, batch, buf{"a", len(a), n * n}, buf{"b", len(b), n * k}, buf{"x", len(x), n * k}); err != nil {
		return err
	}
	if n == 0 || k == 0 || batch == 0 {
		return nil
	}
	nn, nk := n*n, n*k
	var body func(w *work, lo, hi int) (int, status)
	switch {
	case n <= maxSmall && k == 1:
		kern, pair := smallSolver[T](n), smallPair[T](n)
		one := func(w *work, i int) status {
			ai, bi, xi := a[i*nn:(i+1)*nn], b[i*n:(i+1)*n], x[i*n:(i+1)*n]
			st := kern(ai, bi, xi, &w.e[0])
			if st == useGeneral {
				st = generalSolve(w, ai, bi, xi, n, 1)
			}
			return st
		}
		body = func(w *work, lo, hi int) (int, status) {
			i := lo
			for ; i+1 < hi; i += 2 {
				j := i + 1
				if pair(a[i*nn:j*nn], b[i*n:j*n], x[i*n:j*n], a[j*nn:(j+1)*nn], b[j*n:(j+1)*n], x[j*n:(j+1)*n], &w.e[0], &w.e[1]) {
					continue
				}
				// Trouble in either: redo both alone to learn which.
				if st := one(w, i); st != ok {
					return i, st
				}
				if st := one(w, j); st != ok {
					return j, st
				}
			}
			for ; i < hi; i++ {
				if st := one(w, i); st != ok {
					return i, st
				}
			}
			return 0, ok
		}
	case n <= maxSmall:
		body = smallMulti(a, b, x, n, k)
	default:
		body = func(w *work, lo, hi int) (int, status) {
			for i := lo; i < hi; i++ {
				if st := generalSolve(w, a[i*nn:(i+1)*nn], b[i*nk:(i+1)*nk], x[i*nk:(i+1)*nk], n, k); st != ok {
					return i, st
				}
			}
			return 0, ok
		}
	}
	at, st := forBatch(batch, grain(n, k), body)
	return systemError(at, st, a, n, false)
}

// Inv writes the inverse of each n×n matrix a[i·n·n:] to out[i·n·n:]. a is
// not modified unless out is a, which is allowed. Errors are as for Solve.
func Inv[T Float](a, out []T, n, batch int) error {
	if err := checkLens("Inv", n, n, batch, buf{"a", len(a), n * n}, buf{"out", len(out), n * n}); err != nil {
		return err
	}
	if n == 0 || batch == 0 {
		return nil
	}
	nn := n * n
	body := func(w *work, lo, hi int) (int, status) {
		for i := lo; i < hi; i++ {
			if st := generalSolve(w, a[i*nn:(i+1)*nn], nil, out[i*nn:(i+1)*nn], n, n); st != ok {
				return i, st
			}
		}
		return 0, ok
	}
	if n <= maxSmall {
		body = smallMulti(a, nil, out, n, n)
	}
	at, st := forBatch(batch, grain(n, n), body)
	return systemError(at, st, a, n, false)
}

// Cholesky writes to out[i·n·n:] the lower-triangular L (zeros above the
// diagonal) with S = L·Lᵀ, where S = (A+Aᵀ)/2 is the symmetric part of
// A = a[i·n·n:]; for a symmetric A that is A itself. a is not modified
// unless out is a, which is allowed. A system whose S is not positive definite, or holds NaN or ±Inf, fails with
// "system i: …" wrapping ErrNotPositiveDefinite.
func Cholesky[T Float](a, out []T, n, batch int) error {
	if err := checkLens("Cholesky", n, n, batch, buf{"a", len(a), n * n}, buf{"out", len(out), n * n}); err != nil {
		return err
	}
	if n == 0 || batch == 0 {
		return nil
	}
	nn := n * n
	at, st := forBatch(batch, grain(n, 0), func(w *work, lo, hi int) (int, status) {
		for i := lo; i < hi; i++ {
			if st := cholesky(w, a[i*nn:(i+1)*nn], out[i*nn:(i+1)*nn], n); st != ok {
				return i, st
			}
		}
		return 0, ok
	})
	return systemError(at, st, a, n, true)
}

// smallMulti is the body for n ≤ maxSmall with several right-hand sides:
// generated factorization and substitution. b == nil means B = I (the
// inverse).
func smallMulti[T Float](a, b, x []T, n, k int) func(w *work, lo, hi int) (int, status) {
	factor, subst := smallFactor[T](n), smallSubst[T](n)
	nn, nk := n*n, n*k
	var eye []T
	if b == nil {
		eye = make([]T, nn)
		for i := 0; i < n; i++ {
			eye[i*n+i] = 1
		}
	}
	return func(w *work, lo, hi int) (int, status) {
		for i := lo; i < hi; i++ {
			ai, bi, xi := a[i*nn:(i+1)*nn], eye, x[i*nk:(i+1)*nk]
			if b != nil {
				bi = b[i*nk : (i+1)*nk]
			}
			st := factor(ai, &w.f, &w.e[0])
			if st == useGeneral {
				st = generalSolve(w, ai, bi, xi, n, k)
			} else if st == ok {
				subst(&w.f, bi, xi, k)
			}
			if st != ok {
				return i, st
			}
		}
		return 0, ok
	}
}

// grain keeps a block at roughly 2¹⁷ multiply-adds (tens of µs), so a small
// batch runs serially instead of paying for a hand-off to the pool.
func grain(n, k int) int {
	return max(1, (1<<17)/(n*n*(n+k)))
}

// forBatch runs body over [0, batch) in blocks on the worker pool, each block
// with its own scratch, and returns the lowest failing system. A block stops
// at its first failure, so the minimum over blocks is the global first.
func forBatch(batch, grain int, body func(w *work, lo, hi int) (int, status)) (int, status) {
	var mu sync.Mutex
	first, fst := batch, ok
	parallel.For(batch, grain, func(lo, hi int) {
		at, st := body(new(work), lo, hi)
		if st != ok {
			mu.Lock()
			if at < first {
				first, fst = at, st
			}
			mu.Unlock()
		}
	})
	return first, fst
}

// systemError names the failing system; it runs once per call, off the hot
// path, so it can afford to find the offending element.
func systemError[T Float](at int, st status, a []T, n int, sym bool) error {
	if st == ok {
		return nil
	}
	sys := a[at*n*n : (at+1)*n*n]
	switch st {
	case singular:
		return fmt.Errorf("system %d: %w", at, ErrSingular)
	case notPD:
		return fmt.Errorf("system %d: %w", at, ErrNotPositiveDefinite)
	case notFinite:
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := float64(sys[i*n+j])
				if sym {
					v = (v + float64(sys[j*n+i])) / 2
				}
				if math.IsNaN(v) || math.IsInf(v, 0) {
					if sym {
						return fmt.Errorf("system %d: %w: element [%d %d] of (A+Aᵀ)/2 is %v", at, ErrNotPositiveDefinite, i, j, v)
					}
					return fmt.Errorf("system %d: %w: element [%d %d] is %v", at, ErrNotFinite, i, j, v)
				}
			}
		}
	}
	return fmt.Errorf("system %d: internal error (status %d)", at, st)
}

// buf is one buffer argument: its length and the elements each system uses.
type buf struct {
	name      string
	have, per int
}

// checkLens validates sizes up front so that a bad call is an error, never a
// panic from a worker goroutine.
func checkLens(op string, n, k, batch int, bufs ...buf) error {
	if n < 0 || k < 0 || batch < 0 {
		return fmt.Errorf("linalg.%s: negative size (n=%d k=%d batch=%d)", op, n, k, batch)
	}
	const maxInt = int(^uint(0) >> 1)
	if n > 0 && (n > maxInt/n || n*n > maxInt/max(n, k)) {
		return fmt.Errorf("linalg.%s: sizes overflow (n=%d k=%d)", op, n, k)
	}
	for _, c := range bufs {
		if c.per > 0 && batch > maxInt/c.per {
			return fmt.Errorf("linalg.%s: sizes overflow (n=%d k=%d batch=%d)", op, n, k, batch)
		}
		if c.have < batch*c.per {
			return fmt.Errorf("linalg.%s: %s has %d elements, want %d (n=%d k=%d batch=%d)", op, c.name, c.have, batch*c.per, n, k, batch)
		}
	}
	return nil
}
