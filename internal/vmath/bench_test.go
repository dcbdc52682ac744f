package vmath

import (
	"fmt"
	"testing"
)

// The slice benchmarks run at 4K elements (in L1 with the output: the
// fused elementwise kernel's chunk) and 16M (64 MiB an operand, from
// memory). Bytes are those read plus written, 4 an element and operand.

var benchNs = []int{4 << 10, 16 << 20}

func benchSlices(b *testing.B, operands int, f func(dst []float32, in [][]float32)) {
	benchBytes(b, operands, operands+1, f)
}

// benchBytes is benchSlices with streams (operands and outputs) counted.
func benchBytes(b *testing.B, operands, streams int, f func(dst []float32, in [][]float32)) {
	for _, im := range impls() {
		for _, n := range benchNs {
			b.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(b *testing.B) {
				defer func(old bool) { useAVX2 = old }(useAVX2)
				useAVX2 = im.avx2
				in := make([][]float32, operands)
				for k := range in {
					in[k] = benchInput(n, -4, 4)
				}
				dst := make([]float32, n)
				b.SetBytes(int64(4 * n * streams))
				f(dst, in) // fault the pages of dst in before timing
				for b.Loop() {
					f(dst, in)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	}
}

func BenchmarkExp(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { Exp32s(d, in[0]) })
}

func BenchmarkExpAffine(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { ExpAffine32s(d, in[0], -1.5, 0.5) })
}

func BenchmarkLog(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { Log32s(d, in[0]) })
}

func BenchmarkTanh(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { Tanh32s(d, in[0]) })
}

func BenchmarkSigmoid(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { Sigmoid32s(d, in[0]) })
}

func BenchmarkAdd(b *testing.B) {
	benchSlices(b, 2, func(d []float32, in [][]float32) { Add32s(d, in[0], in[1]) })
}

func BenchmarkMaxC(b *testing.B) {
	benchSlices(b, 1, func(d []float32, in [][]float32) { MaxC32s(d, in[0], 0.5) })
}

func BenchmarkFMA(b *testing.B) {
	benchSlices(b, 3, func(d []float32, in [][]float32) { FMA32s(d, in[0], in[1], in[2]) })
}

func BenchmarkSum(b *testing.B) {
	var s float32
	benchBytes(b, 1, 1, func(_ []float32, in [][]float32) { s += Sum32(in[0]) })
}

func BenchmarkDot(b *testing.B) {
	var s float32
	benchBytes(b, 2, 2, func(_ []float32, in [][]float32) { s += Dot32(in[0], in[1]) })
}
