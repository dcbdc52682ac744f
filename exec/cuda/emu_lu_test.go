package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
)

// lu is cuBLAS's batched LU in Go, with its column-major semantics:
// getrf factors P·A = L·U in place (LAPACK's getf2: the first row of
// largest magnitude pivots; an exactly zero pivot sets info to its 1-based
// column and the factorization goes on), pivots are 1-based row numbers;
// getrs solves op(A)·X = B in place of B; getri writes A⁻¹ apart from A.
func (e *emu) lu(c luCall) error {
	if c.n < 0 || c.batch < 0 || c.lda < max(1, c.n) || (c.op != luFactor && c.ldb < max(1, c.n)) || c.nrhs < 0 {
		return &Error{Lib: "cublas", Call: "emu lu", Code: 7, Name: "CUBLAS_STATUS_INVALID_VALUE"}
	}
	ptr := func(arr uint64, i int) uint64 { return binary.LittleEndian.Uint64(e.at(arr+uint64(8*i), 8)) }
	get := func(m uint64, i int) float64 {
		return math.Float64frombits(binary.LittleEndian.Uint64(e.at(m+uint64(8*i), 8)))
	}
	set := func(m uint64, i int, v float64) {
		binary.LittleEndian.PutUint64(e.at(m+uint64(8*i), 8), math.Float64bits(v))
	}
	geti := func(p uint64, i int) int { return int(int32(binary.LittleEndian.Uint32(e.at(p+uint64(4*i), 4)))) }
	seti := func(p uint64, i, v int) { binary.LittleEndian.PutUint32(e.at(p+uint64(4*i), 4), uint32(int32(v))) }
	n := c.n
	for s := 0; s < c.batch; s++ {
		a := ptr(c.a, s)
		A := func(i, j int) float64 { return get(a, i+j*c.lda) }
		piv := c.piv + uint64(4*n*s)
		switch c.op {
		case luFactor:
			info := 0
			for j := 0; j < n; j++ {
				p := j
				for i := j + 1; i < n; i++ {
					if math.Abs(A(i, j)) > math.Abs(A(p, j)) {
						p = i
					}
				}
				seti(piv, j, p+1)
				if A(p, j) != 0 {
					if p != j {
						for k := 0; k < n; k++ {
							x, y := A(j, k), A(p, k)
							set(a, j+k*c.lda, y)
							set(a, p+k*c.lda, x)
						}
					}
					r := 1 / A(j, j)
					for i := j + 1; i < n; i++ {
						set(a, i+j*c.lda, A(i, j)*r)
					}
				} else if info == 0 {
					info = j + 1
				}
				for k := j + 1; k < n; k++ {
					for i := j + 1; i < n; i++ {
						set(a, i+k*c.lda, A(i, k)-A(i, j)*A(j, k))
					}
				}
			}
			seti(c.info, s, info)
		case luSolve:
			b := ptr(c.b, s)
			for col := 0; col < c.nrhs; col++ {
				x := make([]float64, n)
				for i := range x {
					x[i] = get(b, i+col*c.ldb)
				}
				if c.trans {
					emuSolveT(x, A, func(i int) int { return geti(piv, i) - 1 })
				} else {
					emuSolveN(x, A, func(i int) int { return geti(piv, i) - 1 })
				}
				for i, v := range x {
					set(b, i+col*c.ldb, v)
				}
			}
		case luInvert:
			if ptr(c.b, s) == a {
				return fmt.Errorf("emu: getri in place")
			}
			info := 0
			for j := n - 1; j >= 0; j-- {
				if A(j, j) == 0 {
					info = j + 1
				}
			}
			seti(c.info, s, info)
			if info != 0 {
				continue
			}
			out := ptr(c.b, s)
			for col := 0; col < n; col++ {
				x := make([]float64, n)
				x[col] = 1
				emuSolveN(x, A, func(i int) int { return geti(piv, i) - 1 })
				for i, v := range x {
					set(out, i+col*c.ldb, v)
				}
			}
		default:
			return fmt.Errorf("emu: LU routine %d", c.op)
		}
	}
	return nil
}

// emuSolveN solves A·x = b in place from getrf's factors: the row
// interchanges forward, then L (unit diagonal), then U.
func emuSolveN(x []float64, A func(i, j int) float64, piv func(i int) int) {
	n := len(x)
	for i := 0; i < n; i++ {
		p := piv(i)
		x[i], x[p] = x[p], x[i]
	}
	for i := 0; i < n; i++ {
		for k := 0; k < i; k++ {
			x[i] -= A(i, k) * x[k]
		}
	}
	for i := n - 1; i >= 0; i-- {
		for k := i + 1; k < n; k++ {
			x[i] -= A(i, k) * x[k]
		}
		x[i] /= A(i, i)
	}
}

// emuSolveT solves Aᵀ·x = b in place: Aᵀ = Uᵀ·Lᵀ·P, so Uᵀ (lower), then
// Lᵀ (unit upper), then the interchanges in reverse.
func emuSolveT(x []float64, A func(i, j int) float64, piv func(i int) int) {
	n := len(x)
	for i := 0; i < n; i++ {
		for k := 0; k < i; k++ {
			x[i] -= A(k, i) * x[k]
		}
		x[i] /= A(i, i)
	}
	for i := n - 1; i >= 0; i-- {
		for k := i + 1; k < n; k++ {
			x[i] -= A(k, i) * x[k]
		}
	}
	for i := n - 1; i >= 0; i-- {
		p := piv(i)
		x[i], x[p] = x[p], x[i]
	}
}
