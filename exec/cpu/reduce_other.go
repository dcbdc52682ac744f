//go:build !amd64

package cpu

// No assembly here: reduce.go's Go loops run.
const reduceAVX2 = false

func ext32AVX2(x *float32, n int, isMin bool) (float32, bool) { panic("cpu: no assembly here") }
func ext64AVX2(x *float64, n int, isMin bool) (float64, bool) { panic("cpu: no assembly here") }
func widenAdd4AVX2(a *float64, x0, x1, x2, x3 *float32, n int) {
	panic("cpu: no assembly here")
}
func widenAdd1AVX2(a *float64, x *float32, n int) { panic("cpu: no assembly here") }
func sum32AVX2(x *float32, n int) float64         { panic("cpu: no assembly here") }
