package linalg

import "math"

// status is a kernel's verdict on one system; the driver turns it into an
// error naming the system, so kernels never allocate.
type status int8

const (
	ok        status = iota
	singular         // a pivot within rounding error of zero
	notFinite        // an input element is NaN or ±Inf
	notPD            // Cholesky: a non-positive pivot
	tooSmall         // max|aᵢⱼ| so small that reciprocal pivots could overflow; use the general path
)

const (
	eps     = 0x1p-52 // float64 machine epsilon: the pivot threshold is n·eps·max|aᵢⱼ|
	signBit = 1 << 63
	infBits = 0x7ff0000000000000 // bits of +Inf: any |v| at or above it is not finite
	// Below this scale a pivot that passes n·eps·max|aᵢⱼ| could be
	// subnormal, and its reciprocal overflow; the generated kernels hand such
	// matrices to gonum, which divides instead.
	minScale = 0x1p-960
)

var minScaleBits = math.Float64bits(minScale)

// smallLU is one factored n×n matrix (n ≤ maxSmall), rows in pivot order:
// row i of lu is row perm[i] of A, L's unit diagonal is implicit and d holds
// U's reciprocal diagonal.
type smallLU struct {
	lu   [maxSmall * maxSmall]float64
	d    [maxSmall]float64
	perm [maxSmall]int
}

// luSolve solves A·X = B with a factored A and k right-hand sides; b == nil
// means B = I (the inverse). w is scratch of at least n·k; B is read whole
// before X is written, so x may be b.
func luSolve[T Float](f *smallLU, n int, b, x []T, k int, w []float64) {
	w = w[:n*k]
	if b == nil {
		clear(w)
		for i := 0; i < n; i++ {
			w[i*k+f.perm[i]] = 1
		}
	} else {
		for i := 0; i < n; i++ {
			src, dst := b[f.perm[i]*k:][:k], w[i*k:][:k]
			for c, v := range src {
				dst[c] = float64(v)
			}
		}
	}
	// Row-oriented substitution: the inner loop runs along a contiguous row
	// of all k right-hand sides.
	for i := 1; i < n; i++ {
		wi := w[i*k:][:k]
		for j, l := range f.lu[i*n : i*n+i] {
			wj := w[j*k:][:k]
			for c := range wi {
				wi[c] -= l * wj[c]
			}
		}
	}
	for i := n - 1; i >= 0; i-- {
		wi := w[i*k:][:k]
		for j := i + 1; j < n; j++ {
			u, wj := f.lu[i*n+j], w[j*k:][:k]
			for c := range wi {
				wi[c] -= u * wj[c]
			}
		}
		d := f.d[i]
		for c := range wi {
			wi[c] *= d
		}
	}
	x = x[:n*k]
	for i, v := range w {
		x[i] = T(v)
	}
}
