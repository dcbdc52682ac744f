package main

import "math"

// plainMultiHead is the same computation as plain Go loops over float64
// slices, row-major: the check the loom program is compared with.
// x [S,D]; wq, wk [H,D,dk]; wv [H,D,dv]; wo [H,dv,do] → [S, H·do].
func plainMultiHead(x []float64, S, D int, wq, wk, wv, wo []float64, H, dk, dv, do int) []float64 {
	out := make([]float64, S*H*do)
	for h := 0; h < H; h++ {
		q := matmul(x, wq[h*D*dk:(h+1)*D*dk], S, D, dk)
		k := matmul(x, wk[h*D*dk:(h+1)*D*dk], S, D, dk)
		v := matmul(x, wv[h*D*dv:(h+1)*D*dv], S, D, dv)
		scale := 1 / math.Sqrt(float64(dk))
		w := make([]float64, S*S)
		for i := 0; i < S; i++ {
			mx := math.Inf(-1)
			for j := 0; j < S; j++ {
				s := 0.0
				for c := 0; c < dk; c++ {
					s += q[i*dk+c] * k[j*dk+c]
				}
				w[i*S+j] = s * scale
				mx = math.Max(mx, w[i*S+j])
			}
			sum := 0.0
			for j := 0; j < S; j++ {
				w[i*S+j] = math.Exp(w[i*S+j] - mx)
				sum += w[i*S+j]
			}
			for j := 0; j < S; j++ {
				w[i*S+j] /= sum
			}
		}
		a := matmul(w, v, S, S, dv)
		p := matmul(a, wo[h*dv*do:(h+1)*dv*do], S, dv, do)
		for i := 0; i < S; i++ {
			copy(out[i*H*do+h*do:], p[i*do:(i+1)*do])
		}
	}
	return out
}

func matmul(a, b []float64, m, k, n int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				c[i*n+j] += a[i*k+p] * b[p*n+j]
			}
		}
	}
	return c
}
