package vmath

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
	"unsafe"
)

// An arithCase is one exact op: run calls the public function, ref is the
// scalar result it must equal bit for bit (any NaN for NaN).
type arithCase[T float] struct {
	name string
	ins  int // slice inputs
	run  func(dst, a, b, c []T, s, s2 T)
	ref  func(a, b, c, s, s2 T) T
}

func arithCases32() []arithCase[float32] {
	type T = float32
	return []arithCase[T]{
		{"Add", 2, func(d, a, b, _ []T, _, _ T) { Add32s(d, a, b) }, func(a, b, _, _, _ T) T { return a + b }},
		{"Sub", 2, func(d, a, b, _ []T, _, _ T) { Sub32s(d, a, b) }, func(a, b, _, _, _ T) T { return a - b }},
		{"Mul", 2, func(d, a, b, _ []T, _, _ T) { Mul32s(d, a, b) }, func(a, b, _, _, _ T) T { return a * b }},
		{"Div", 2, func(d, a, b, _ []T, _, _ T) { Div32s(d, a, b) }, func(a, b, _, _, _ T) T { return a / b }},
		{"Max", 2, func(d, a, b, _ []T, _, _ T) { Max32s(d, a, b) }, func(a, b, _, _, _ T) T { return max(a, b) }},
		{"Min", 2, func(d, a, b, _ []T, _, _ T) { Min32s(d, a, b) }, func(a, b, _, _, _ T) T { return min(a, b) }},
		{"AddC", 1, func(d, a, _, _ []T, c, _ T) { AddC32s(d, a, c) }, func(a, _, _, c, _ T) T { return a + c }},
		{"SubC", 1, func(d, a, _, _ []T, c, _ T) { SubC32s(d, a, c) }, func(a, _, _, c, _ T) T { return a - c }},
		{"RSubC", 1, func(d, a, _, _ []T, c, _ T) { RSubC32s(d, a, c) }, func(a, _, _, c, _ T) T { return c - a }},
		{"MulC", 1, func(d, a, _, _ []T, c, _ T) { MulC32s(d, a, c) }, func(a, _, _, c, _ T) T { return a * c }},
		{"DivC", 1, func(d, a, _, _ []T, c, _ T) { DivC32s(d, a, c) }, func(a, _, _, c, _ T) T { return a / c }},
		{"RDivC", 1, func(d, a, _, _ []T, c, _ T) { RDivC32s(d, a, c) }, func(a, _, _, c, _ T) T { return c / a }},
		{"MaxC", 1, func(d, a, _, _ []T, c, _ T) { MaxC32s(d, a, c) }, func(a, _, _, c, _ T) T { return max(a, c) }},
		{"MinC", 1, func(d, a, _, _ []T, c, _ T) { MinC32s(d, a, c) }, func(a, _, _, c, _ T) T { return min(a, c) }},
		{"Neg", 1, func(d, a, _, _ []T, _, _ T) { Neg32s(d, a) }, func(a, _, _, _, _ T) T { return -a }},
		{"Abs", 1, func(d, a, _, _ []T, _, _ T) { Abs32s(d, a) }, func(a, _, _, _, _ T) T { return T(math.Abs(float64(a))) }},
		{"Relu", 1, func(d, a, _, _ []T, _, _ T) { Relu32s(d, a) }, func(a, _, _, _, _ T) T { return T(math.Max(float64(a), 0)) }},
		{"Sqrt", 1, func(d, a, _, _ []T, _, _ T) { Sqrt32s(d, a) }, func(a, _, _, _, _ T) T { return T(math.Sqrt(float64(a))) }},
		{"Affine", 1, func(d, a, _, _ []T, s, s2 T) { Affine32s(d, a, s, s2) }, func(a, _, _, s, s2 T) T { return exactFMA(s, a, s2) }},
		{"FMA", 3, func(d, a, b, c []T, _, _ T) { FMA32s(d, a, b, c) }, func(a, b, c, _, _ T) T { return exactFMA(a, b, c) }},
	}
}

func arithCases64() []arithCase[float64] {
	type T = float64
	return []arithCase[T]{
		{"Add", 2, func(d, a, b, _ []T, _, _ T) { Add64s(d, a, b) }, func(a, b, _, _, _ T) T { return a + b }},
		{"Sub", 2, func(d, a, b, _ []T, _, _ T) { Sub64s(d, a, b) }, func(a, b, _, _, _ T) T { return a - b }},
		{"Mul", 2, func(d, a, b, _ []T, _, _ T) { Mul64s(d, a, b) }, func(a, b, _, _, _ T) T { return a * b }},
		{"Div", 2, func(d, a, b, _ []T, _, _ T) { Div64s(d, a, b) }, func(a, b, _, _, _ T) T { return a / b }},
		{"Max", 2, func(d, a, b, _ []T, _, _ T) { Max64s(d, a, b) }, func(a, b, _, _, _ T) T { return max(a, b) }},
		{"Min", 2, func(d, a, b, _ []T, _, _ T) { Min64s(d, a, b) }, func(a, b, _, _, _ T) T { return min(a, b) }},
		{"AddC", 1, func(d, a, _, _ []T, c, _ T) { AddC64s(d, a, c) }, func(a, _, _, c, _ T) T { return a + c }},
		{"SubC", 1, func(d, a, _, _ []T, c, _ T) { SubC64s(d, a, c) }, func(a, _, _, c, _ T) T { return a - c }},
		{"RSubC", 1, func(d, a, _, _ []T, c, _ T) { RSubC64s(d, a, c) }, func(a, _, _, c, _ T) T { return c - a }},
		{"MulC", 1, func(d, a, _, _ []T, c, _ T) { MulC64s(d, a, c) }, func(a, _, _, c, _ T) T { return a * c }},
		{"DivC", 1, func(d, a, _, _ []T, c, _ T) { DivC64s(d, a, c) }, func(a, _, _, c, _ T) T { return a / c }},
		{"RDivC", 1, func(d, a, _, _ []T, c, _ T) { RDivC64s(d, a, c) }, func(a, _, _, c, _ T) T { return c / a }},
		{"MaxC", 1, func(d, a, _, _ []T, c, _ T) { MaxC64s(d, a, c) }, func(a, _, _, c, _ T) T { return max(a, c) }},
		{"MinC", 1, func(d, a, _, _ []T, c, _ T) { MinC64s(d, a, c) }, func(a, _, _, c, _ T) T { return min(a, c) }},
		{"Neg", 1, func(d, a, _, _ []T, _, _ T) { Neg64s(d, a) }, func(a, _, _, _, _ T) T { return -a }},
		{"Abs", 1, func(d, a, _, _ []T, _, _ T) { Abs64s(d, a) }, func(a, _, _, _, _ T) T { return math.Abs(a) }},
		{"Relu", 1, func(d, a, _, _ []T, _, _ T) { Relu64s(d, a) }, func(a, _, _, _, _ T) T { return math.Max(a, 0) }},
		{"Sqrt", 1, func(d, a, _, _ []T, _, _ T) { Sqrt64s(d, a) }, func(a, _, _, _, _ T) T { return math.Sqrt(a) }},
		{"Affine", 1, func(d, a, _, _ []T, s, s2 T) { Affine64s(d, a, s, s2) }, func(a, _, _, s, s2 T) T { return exactFMA(s, a, s2) }},
		{"FMA", 3, func(d, a, b, c []T, _, _ T) { FMA64s(d, a, b, c) }, func(a, b, c, _, _ T) T { return exactFMA(a, b, c) }},
	}
}

// exactFMA is x·y+z rounded once, by exact arithmetic in math/big (which
// also rounds subnormal results right); non-finite inputs follow math.FMA.
func exactFMA[T float](x, y, z T) T {
	fx, fy, fz := float64(x), float64(y), float64(z)
	if math.IsInf(fx, 0) || math.IsInf(fy, 0) || math.IsInf(fz, 0) || fx != fx || fy != fy || fz != fz {
		return T(math.FMA(fx, fy, fz))
	}
	const prec = 2300 // covers the whole float64 exponent range
	p := new(big.Float).SetPrec(prec).SetFloat64(fx)
	p.Mul(p, new(big.Float).SetFloat64(fy))
	p.Add(p, new(big.Float).SetFloat64(fz))
	if p.Sign() == 0 { // exact zero: IEEE's sign rules
		return T(fx*fy + fz)
	}
	if unsafe.Sizeof(x) == 4 {
		f, _ := p.Float32()
		return T(f)
	}
	f, _ := p.Float64()
	return T(f)
}

// same is bitwise equality, any NaN matching any NaN.
func same[T float](a, b T) bool {
	if a != a {
		return b != b
	}
	if unsafe.Sizeof(a) == 4 {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// randVal draws from a mix of special values, random bit patterns (every
// exponent, subnormals, NaNs) and ordinary numbers.
func randVal[T float](r *rand.Rand) T {
	inf := math.Inf(1)
	switch r.Intn(10) {
	case 0:
		sp := []float64{0, math.Copysign(0, -1), 1, -1, inf, -inf, math.NaN(), 0.5, -2,
			math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0x1p-126, math.MaxFloat32, -math.MaxFloat32}
		return T(sp[r.Intn(len(sp))])
	case 1, 2, 3:
		if unsafe.Sizeof(T(0)) == 4 {
			return T(math.Float32frombits(r.Uint32()))
		}
		return T(math.Float64frombits(r.Uint64()))
	case 4:
		return T(r.Intn(7) - 3)
	default:
		return T(r.NormFloat64() * math.Pow(10, float64(r.Intn(9)-4)))
	}
}

func testArith[T float](t *testing.T, cases []arithCase[T]) {
	r := rand.New(rand.NewSource(11))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for trial := 0; trial < 400; trial++ {
				n := trial % 71 // every tail length, then longer
				if trial >= 71 {
					n = r.Intn(3000)
				}
				var in [3][]T
				for k := range in {
					in[k] = make([]T, n)
					for i := range in[k] {
						in[k][i] = randVal[T](r)
						if k > 0 && r.Intn(8) == 0 { // ties for max/min
							in[k][i] = in[0][i]
							if r.Intn(2) == 0 {
								in[k][i] = -in[0][i]
							}
						}
					}
				}
				s, s2 := randVal[T](r), randVal[T](r)
				if trial%3 == 0 {
					s, s2 = T(r.NormFloat64()), T(r.NormFloat64())
				}
				// dst inside a larger buffer whose ends must stay untouched.
				off := trial % 3
				buf := make([]T, n+4)
				for i := range buf {
					buf[i] = -7
				}
				dst := buf[off : off+n]
				c.run(dst, in[0], in[1], in[2], s, s2)
				for i := range dst {
					want := c.ref(in[0][i], in[1][i], in[2][i], s, s2)
					if !same(dst[i], want) {
						t.Fatalf("n=%d i=%d: %s(%v, %v, %v; %v, %v) = %v, want %v",
							n, i, c.name, in[0][i], in[1][i], in[2][i], s, s2, dst[i], want)
					}
				}
				for i, v := range buf {
					if (i < off || i >= off+n) && v != -7 {
						t.Fatalf("n=%d: %s wrote buf[%d] outside dst", n, c.name, i)
					}
				}
				// dst the same slice as each input.
				for k := 0; k < c.ins; k++ {
					cp := append([]T(nil), in[k]...)
					args := [3][]T{in[0], in[1], in[2]}
					args[k] = cp
					c.run(cp, args[0], args[1], args[2], s, s2)
					for i := range cp {
						if !same(cp[i], dst[i]) {
							t.Fatalf("n=%d: %s with dst = input %d: [%d] = %v, want %v", n, c.name, k, i, cp[i], dst[i])
						}
					}
				}
			}
		})
	}
}

func TestArith32(t *testing.T) {
	forEachImpl(t, func(t *testing.T) { testArith(t, arithCases32()) })
}

func TestArith64(t *testing.T) {
	forEachImpl(t, func(t *testing.T) { testArith(t, arithCases64()) })
}

// TestFMA32DoubleRounding targets the products that land near a float32
// halfway point, where rounding through float64 goes wrong.
func TestFMA32DoubleRounding(t *testing.T) {
	if got, want := fma32(1+0x1p-12, 1+0x1p-12, 0x1p-80), float32(1+0x1p-11+0x1p-23); got != want {
		t.Errorf("fma32(1+2^-12, 1+2^-12, 2^-80) = %v, want %v", got, want)
	}
	r := rand.New(rand.NewSource(12))
	n := 20000
	a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i] = float32(1 + float64(r.Intn(1<<12))*0x1p-12)
		b[i] = float32((1 + float64(r.Intn(1<<12))*0x1p-12) * math.Ldexp(1, r.Intn(40)-20))
		c[i] = float32(math.Ldexp(r.Float64()-0.5, -r.Intn(60)))
	}
	forEachImpl(t, func(t *testing.T) {
		dst := make([]float32, n)
		FMA32s(dst, a, b, c)
		wrong := 0
		for i := range dst {
			want := exactFMA(a[i], b[i], c[i])
			if dst[i] != want {
				t.Fatalf("FMA32s(%v, %v, %v) = %v, want %v", a[i], b[i], c[i], dst[i], want)
			}
			if float32(math.FMA(float64(a[i]), float64(b[i]), float64(c[i]))) != want {
				wrong++
			}
		}
		t.Logf("rounding through float64 would be wrong in %d of %d cases", wrong, n)
	})
}

func TestForceGo(t *testing.T) {
	defer ForceGo(false)
	ForceGo(true)
	if Impl() != "go" {
		t.Errorf("ForceGo(true): Impl() = %s", Impl())
	}
	ForceGo(false)
	if want := map[bool]string{true: "avx2", false: "go"}[hasAVX2]; Impl() != want {
		t.Errorf("ForceGo(false): Impl() = %s, want %s", Impl(), want)
	}
}

func TestLengthsDiffer(t *testing.T) {
	x, y := make([]float32, 8), make([]float32, 9)
	for _, f := range []func(){
		func() { Add32s(x, x, y) },
		func() { Add32s(y, x, x) },
		func() { MulC32s(x, y, 2) },
		func() { FMA32s(x, x, x, y) },
		func() { Tanh32s(x, y) },
		func() { Dot32(x, y) },
		func() { Add64s(make([]float64, 3), make([]float64, 3), make([]float64, 4)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for slices of different lengths")
				}
			}()
			f()
		}()
	}
}
