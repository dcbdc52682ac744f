//go:build amd64

package cpu

import "golang.org/x/sys/cpu"

// Reduction loops in reduce_amd64.s.
var reduceAVX2 = cpu.X86.HasAVX2

//go:noescape
func ext32AVX2(x *float32, n int, isMin bool) (m float32, nan bool)

//go:noescape
func ext64AVX2(x *float64, n int, isMin bool) (m float64, nan bool)

//go:noescape
func widenAdd4AVX2(a *float64, x0, x1, x2, x3 *float32, n int)

//go:noescape
func widenAdd1AVX2(a *float64, x *float32, n int)

//go:noescape
func sum32AVX2(x *float32, n int) float64
