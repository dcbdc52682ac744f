package linalg

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/gonum"
)

// work is one block's scratch, reused for every system in the block.
type work struct {
	e    [2]elimScratch
	f    smallLU
	lu   []float64 // n·n: the factored copy of A
	rhs  []float64 // n·k: right-hand sides, then the solution
	ipiv []int
}

func (w *work) grow(n, k int) {
	if len(w.lu) < n*n {
		w.lu = make([]float64, n*n)
		w.ipiv = make([]int, n)
	}
	if len(w.rhs) < n*k {
		w.rhs = make([]float64, n*k)
	}
}

const (
	signBit = 1 << 63
	infBits = 0x7ff0000000000000 // bits of +Inf: any |v| at or above it is not finite
)

// lapack is gonum's pure-Go LAPACK, row-major like our buffers.
var lapack gonum.Implementation

// generalSolve solves one system of any size with gonum's Dgetrf/Dgetrs in
// float64; b == nil means B = I (k = n). It applies the same singularity
// threshold as the generated kernels, so the answer does not depend on
// which path ran.
func generalSolve[T Float](w *work, a, b, x []T, n, k int) status {
	w.grow(n, k)
	lu, rhs, ipiv := w.lu[:n*n], w.rhs[:n*k], w.ipiv[:n]
	mx, s := load(a[:n*n], lu)
	if mx >= infBits {
		return notFinite
	}
	norm := math.Sqrt(s)
	if !(s >= minNorm2 && s <= math.MaxFloat64) && mx > 0 {
		// ‖A‖_F² under- or overflowed: scale by max|aᵢⱼ| (dividing, as 1/m
		// overflows for a subnormal m).
		m, s := math.Float64frombits(mx), 0.0
		for _, v := range lu {
			s += (v / m) * (v / m)
		}
		norm = m * math.Sqrt(s)
	}
	lapack.Dgetrf(n, n, lu, n, ipiv)
	tiny := eps * norm
	for i := 0; i < n; i++ {
		if !(math.Abs(lu[i*n+i]) > tiny) {
			return singular
		}
	}
	if b == nil {
		clear(rhs)
		for i := 0; i < n; i++ {
			rhs[i*n+i] = 1
		}
	} else {
		for i, v := range b[:n*k] {
			rhs[i] = float64(v)
		}
	}
	if k == 1 {
		// Dgetrs would go through Dtrsm, whose set-up per call costs more
		// than the two triangular solves a vector needs.
		for i, p := range ipiv {
			rhs[i], rhs[p] = rhs[p], rhs[i]
		}
		blas64.Trsv(blas.NoTrans, blas64.Triangular{Uplo: blas.Lower, Diag: blas.Unit, N: n, Stride: n, Data: lu}, blas64.Vector{N: n, Inc: 1, Data: rhs})
		blas64.Trsv(blas.NoTrans, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: n, Stride: n, Data: lu}, blas64.Vector{N: n, Inc: 1, Data: rhs})
	} else {
		lapack.Dgetrs(blas.NoTrans, n, k, lu, n, ipiv, rhs, k)
	}
	x = x[:n*k]
	for i, v := range rhs {
		x[i] = T(v)
	}
	return ok
}

// load converts a into lu and returns the bits of max|aᵢⱼ| (NaN sorts above
// Inf) and ‖A‖_F², with four independent chains of each: one chain would
// cost the latency of an add or a conditional move per element.
func load[T Float](a []T, lu []float64) (mx uint64, s float64) {
	lu = lu[:len(a)]
	var m0, m1, m2, m3 uint64
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		f0, f1, f2, f3 := float64(a[i]), float64(a[i+1]), float64(a[i+2]), float64(a[i+3])
		lu[i], lu[i+1], lu[i+2], lu[i+3] = f0, f1, f2, f3
		m0 = max(m0, math.Float64bits(f0)&^signBit)
		m1 = max(m1, math.Float64bits(f1)&^signBit)
		m2 = max(m2, math.Float64bits(f2)&^signBit)
		m3 = max(m3, math.Float64bits(f3)&^signBit)
		s0 += f0 * f0
		s1 += f1 * f1
		s2 += f2 * f2
		s3 += f3 * f3
	}
	for ; i < len(a); i++ {
		f := float64(a[i])
		lu[i] = f
		m0 = max(m0, math.Float64bits(f)&^signBit)
		s0 += f * f
	}
	return max(m0, m1, m2, m3), (s0 + s1) + (s2 + s3)
}

// cholesky factors the symmetric part of one matrix into out. Below gonum's
// block size its Dpotrf runs the same unblocked algorithm as the loop here,
// behind per-column BLAS calls, so only large n goes to gonum.
func cholesky[T Float](w *work, a, out []T, n int) status {
	w.grow(n, 0)
	l := w.lu[:n*n]
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			v := (float64(a[i*n+j]) + float64(a[j*n+i])) / 2
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return notFinite
			}
			l[i*n+j] = v
		}
	}
	if n >= 64 {
		if !lapack.Dpotrf(blas.Lower, n, l, n) {
			return notPD
		}
	} else {
		// Left-looking, as LAPACK's dpotf2: column j from the rows above.
		for j := 0; j < n; j++ {
			lj := l[j*n : j*n+j]
			d := l[j*n+j] - dot(lj, lj)
			if !(d > 0) {
				return notPD
			}
			d = math.Sqrt(d)
			l[j*n+j] = d
			r := 1 / d
			for i := j + 1; i < n; i++ {
				l[i*n+j] = (l[i*n+j] - dot(l[i*n:i*n+j], lj)) * r
			}
		}
	}
	out = out[:n*n]
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j <= i {
				out[i*n+j] = T(l[i*n+j])
			} else {
				out[i*n+j] = 0
			}
		}
	}
	return ok
}

func dot(x, y []float64) float64 {
	y = y[:len(x)]
	s := 0.0
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
