// Package vmath holds fast elementary functions for the CPU kernels: float32
// exp by range reduction and a Cephes polynomial, within 1 ulp of
// float32(math.Exp(float64(x))).
//
// The slice kernels (Exp32s, ExpShiftSum32, Scale32s) pick their
// implementation at run time: Go assembly using AVX2+FMA, 16 elements per
// iteration, when the CPU has both (see Impl), otherwise a pure-Go loop with
// the polynomial inlined by hand. Both give results within 1 ulp of
// float32(math.Exp(float64(x))) for every float32 x, including the special
// values (see Exp32s).
package vmath
