// Package vmath holds the slice kernels of the CPU backend: float32
// elementary functions (exp, log, tanh, sigmoid), the exact elementwise
// arithmetic ops in float32 and float64, and float32 reductions (sum, dot).
// A fused elementwise kernel calls one of them per op on chunks of a few
// thousand elements, so each is a whole loop, not a scalar function.
//
// Every kernel picks its implementation at run time: Go assembly using
// AVX2+FMA when the CPU has both (see Impl), otherwise a portable Go loop.
// Both paths give the same results bit for bit for the exact ops and keep
// within these bounds for the others:
//
//   - Exp32s, ExpShiftSum32, ExpAffine32s: within 1 ulp of
//     float32(math.Exp(float64(x))).
//   - Log32s, Tanh32s: within 1 ulp of the float64 function rounded to
//     float32; Sigmoid32s within 2 ulp (2 for just two inputs, see there).
//     The special values are exact.
//
//   - Add, Sub, Mul, Div, Sqrt, Neg, Abs, Max, Min, Relu and their scalar
//     forms: exact (IEEE results, Go's rules for max and min).
//   - FMA32s, Affine32s: one rounding, as math.FMA; this can differ in the
//     last bit from a*b+c written in Go, which rounds twice.
//   - Sum32, Dot32: in float32 in a blocked pairwise order on the AVX2 path
//     (reduce_amd64.s), error close to pairwise summation's; in float64 on
//     the Go path, so the paths can differ in the last bits.
//
// The ulp bounds are measured over all 2^32 inputs on both paths
// (LOOM_EXHAUSTIVE=1 go test -run Exhaustive); the default tests check a
// dense sample.
//

// The slice functions take dst first; dst may be one of the inputs exactly
// (the same slice) but must not otherwise overlap them, and all slices must
// have the same length: a mismatch panics, since the callers are kernels of
// this module and a mismatch is a bug there. (The older Exp32s,
// ExpShiftSum32 and Scale32s accept a longer dst.)
//
// The assembly is mostly written by ./gen (go generate): the loops of the
// exact ops in both widths, the constant table, and the loops around the
// transcendental macros of trans_amd64.h.
package vmath
