//go:build !amd64

package vmath

// Without the assembly the Go path is always used; these are never called.

func log32AVX2(dst, x *float32, n int)                     { panic("vmath: no AVX2") }
func tanh32AVX2(dst, x *float32, n int)                    { panic("vmath: no AVX2") }
func sigmoid32AVX2(dst, x *float32, n int)                 { panic("vmath: no AVX2") }
func expAffine32AVX2(dst, x *float32, n int, a, b float32) { panic("vmath: no AVX2") }

func sum32AVX2(x *float32, n int) float32    { panic("vmath: no AVX2") }
func dot32AVX2(a, b *float32, n int) float32 { panic("vmath: no AVX2") }
