//go:build amd64

package vmath

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the CPU (and OS) support the assembly kernels;
// useAVX2 selects them (tests clear it to exercise the Go path).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var useAVX2 = hasAVX2

// The assembly kernels (exp_amd64.s) process n elements, n a multiple of 8.

//go:noescape
func expAVX2(dst, src *float32, n int)

// expShiftSumAVX2 returns the float32 sum of the n results.
//
//go:noescape
func expShiftSumAVX2(dst, src *float32, n int, shift float32) float32

//go:noescape
func scaleAVX2(dst *float32, n int, c float32)

func exp32sAVX2(dst, src []float32) {
	checkLen(dst, src)
	n := len(src)
	m := n &^ 7
	if m > 0 {
		expAVX2(&dst[0], &src[0], m)
	}
	if m < n { // tail: run the kernel on a padded copy
		var buf [8]float32
		copy(buf[:], src[m:])
		expAVX2(&buf[0], &buf[0], 8)
		copy(dst[m:n], buf[:])
	}
}

// sumBlock is how many elements one call of expShiftSumAVX2 adds in its 8
// float32 lanes (64 terms a lane) before the block sum is folded into the
// float64 total.
const sumBlock = 512

func expShiftSum32AVX2(dst, src []float32, shift float32) float32 {
	checkLen(dst, src)
	n := len(src)
	m := n &^ 7
	var s float64
	for i := 0; i < m; i += sumBlock {
		k := min(sumBlock, m-i)
		s += float64(expShiftSumAVX2(&dst[i], &src[i], k, shift))
	}
	if m < n {
		var buf [8]float32
		copy(buf[:], src[m:])
		expShiftSumAVX2(&buf[0], &buf[0], 8, shift)
		for j, e := range buf[:n-m] {
			dst[m+j] = e
			s += float64(e)
		}
	}
	return float32(s)
}

func scale32sAVX2(dst []float32, c float32) {
	n := len(dst)
	m := n &^ 7
	if m > 0 {
		scaleAVX2(&dst[0], m, c)
	}
	for i := m; i < n; i++ {
		dst[i] *= c
	}
}

//go:noescape
func maxAVX2(src *float32, n int) float32

func reduceMax32AVX2(src []float32) float32 {
	m := len(src) &^ 7
	mx := float32(math.Inf(-1))
	if m > 0 {
		mx = maxAVX2(&src[0], m)
	}
	for _, v := range src[m:] {
		mx = max(mx, v)
	}
	return mx
}
