//go:build !amd64

package vmath

// Only amd64 has the assembly kernels; elsewhere the Go path is always used.
const hasAVX2 = false

var useAVX2 = false

func exp32sAVX2(dst, src []float32)                               { panic("vmath: no AVX2 kernel") }
func expShiftSum32AVX2(dst, src []float32, shift float32) float32 { panic("vmath: no AVX2 kernel") }
func scale32sAVX2(dst []float32, c float32)                       { panic("vmath: no AVX2 kernel") }

func reduceMax32AVX2(src []float32) float32 { panic("vmath: no AVX2 kernel") }
