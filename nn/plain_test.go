package nn_test

import "math"

// Plain-Go versions of every module, in float64, written the obvious way:
// the oracle the loom-built modules are checked against.

// rows cuts a row-major [r, c] buffer into rows.
func rows(flat []float64, r, c int) [][]float64 {
	out := make([][]float64, r)
	for i := range out {
		out[i] = flat[i*c : (i+1)*c]
	}
	return out
}

func matmul(a, b [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = make([]float64, len(b[0]))
		for j := range b[0] {
			for k := range b {
				out[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return out
}

func transpose(a [][]float64) [][]float64 {
	out := make([][]float64, len(a[0]))
	for j := range out {
		out[j] = make([]float64, len(a))
		for i := range a {
			out[j][i] = a[i][j]
		}
	}
	return out
}

func pLinear(x, w, b []float64) []float64 {
	out := append([]float64(nil), b...)
	for i, xi := range x {
		for j := range out {
			out[j] += xi * w[i*len(b)+j]
		}
	}
	return out
}

func pLayerNorm(x, gain, bias []float64, eps float64) []float64 {
	mean, v := 0.0, 0.0
	for _, e := range x {
		mean += e
	}
	mean /= float64(len(x))
	for _, e := range x {
		v += (e - mean) * (e - mean)
	}
	v /= float64(len(x))
	out := make([]float64, len(x))
	for k, e := range x {
		out[k] = (e-mean)/math.Sqrt(v+eps)*gain[k] + bias[k]
	}
	return out
}

func pGelu(x []float64) []float64 {
	out := make([]float64, len(x))
	for k, e := range x {
		out[k] = 0.5 * e * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(e+0.044715*e*e*e)))
	}
	return out
}

func pSoftmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, e := range x {
		m = math.Max(m, e)
	}
	out, s := make([]float64, len(x)), 0.0
	for k, e := range x {
		out[k] = math.Exp(e - m)
		s += out[k]
	}
	for k := range out {
		out[k] /= s
	}
	return out
}

// pAttention is one head; causal rows see only columns ≤ their own.
func pAttention(x, wq, wk, wv [][]float64, causal bool) [][]float64 {
	q, k, v := matmul(x, wq), matmul(x, wk), matmul(x, wv)
	s := matmul(q, transpose(k))
	scale := 1 / math.Sqrt(float64(len(wk[0])))
	w := make([][]float64, len(s))
	for i := range s {
		row := make([]float64, 0, len(s[i]))
		for j := range s[i] {
			if causal && j > i {
				break
			}
			row = append(row, s[i][j]*scale)
		}
		p := pSoftmax(row)
		w[i] = append(p, make([]float64, len(s[i])-len(p))...)
	}
	return matmul(w, v)
}

// pMHA: wq/wk/wv [h, d, dk] and wo [h·dk, d], flat; x [seq][d].
func pMHA(x [][]float64, wq, wk, wv, wo []float64, heads int, causal bool) [][]float64 {
	d := len(x[0])
	dk := d / heads
	cat := make([][]float64, len(x))
	for h := 0; h < heads; h++ {
		at := func(w []float64) [][]float64 { return rows(w[h*d*dk:(h+1)*d*dk], d, dk) }
		o := pAttention(x, at(wq), at(wk), at(wv), causal)
		for s := range x {
			cat[s] = append(cat[s], o[s]...)
		}
	}
	return matmul(cat, rows(wo, heads*dk, d))
}

// block holds a transformer block's weights, flat, by their nn names.
type block map[string][]float64

func (b block) mlp(x []float64) []float64 {
	return pLinear(pGelu(pLinear(x, b["mlp.up.w"], b["mlp.up.b"])), b["mlp.down.w"], b["mlp.down.b"])
}

func pBlock(x [][]float64, b block, heads int, causal bool) [][]float64 {
	n1 := make([][]float64, len(x))
	for s := range x {
		n1[s] = pLayerNorm(x[s], b["ln1.gain"], b["ln1.bias"], 1e-5)
	}
	a := pMHA(n1, b["attn.wq"], b["attn.wk"], b["attn.wv"], b["attn.wo"], heads, causal)
	out := make([][]float64, len(x))
	for s := range x {
		h := make([]float64, len(x[s]))
		for k := range h {
			h[k] = x[s][k] + a[s][k]
		}
		m := b.mlp(pLayerNorm(h, b["ln2.gain"], b["ln2.bias"], 1e-5))
		for k := range h {
			h[k] += m[k]
		}
		out[s] = h
	}
	return out
}

func pCrossEntropy(logits []float64, label int) float64 {
	m := math.Inf(-1)
	for _, e := range logits {
		m = math.Max(m, e)
	}
	s := 0.0
	for _, e := range logits {
		s += math.Exp(e - m)
	}
	return -(logits[label] - m - math.Log(s))
}

func flatten(m [][]float64) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}
