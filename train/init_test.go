package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func moments(t *tensor.Dense) (mean, std, lo, hi float64) {
	xs := values(t)
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		mean += x
		lo, hi = min(lo, x), max(hi, x)
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs))), lo, hi
}

func TestZerosOnes(t *testing.T) {
	// Every element, read back through dtype-specific slices.
	as := func(x *tensor.Dense) []float64 {
		switch x.Dtype() {
		case tensor.Int64:
			var out []float64
			for _, v := range x.Int64s() {
				out = append(out, float64(v))
			}
			return out
		case tensor.Bool:
			var out []float64
			for _, v := range x.Bools() {
				out = append(out, map[bool]float64{true: 1}[v])
			}
			return out
		}
		return values(x)
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Bool} {
		for want, x := range []*tensor.Dense{Zeros(dt, 2, 3), Ones(dt, 2, 3)} {
			if x.Dtype() != dt || !slices.Equal([]int(x.Shape()), []int{2, 3}) {
				t.Fatalf("%v: got %v %v", dt, x.Dtype(), x.Shape())
			}
			for _, v := range as(x) {
				if v != float64(want) {
					t.Fatalf("%v: element %v, want %d", dt, v, want)
				}
			}
		}
	}
	if s := Ones(tensor.Float32); s.Dims() != 0 || s.Float32s()[0] != 1 {
		t.Fatalf("scalar Ones: %v %v", s.Shape(), s.Float32s())
	}
	if e := Zeros(tensor.Float64, 0, 4); e.Size() != 0 {
		t.Fatalf("empty: size %d", e.Size())
	}
}

func TestNormalUniform(t *testing.T) {
	const n = 200000
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		r := rand.New(rand.NewPCG(1, 2))
		// Standard errors: mean σ/√n ≈ 0.0045σ, std ≈ σ/√(2n) ≈ 0.0016σ;
		// the tolerances are about five of them.
		m, s, _, _ := moments(Normal(r, 2, dt, 400, n/400))
		if math.Abs(m) > 0.025 || math.Abs(s-2) > 0.016 {
			t.Errorf("%v Normal(2): mean %.4f std %.4f", dt, m, s)
		}
		m, s, lo, hi := moments(Uniform(r, -3, 1, dt, n))
		// U[-3, 1): mean -1, std 4/√12.
		if math.Abs(m+1) > 0.015 || math.Abs(s-4/math.Sqrt(12)) > 0.01 || lo < -3 || hi >= 1 || lo > -2.99 || hi < 0.99 {
			t.Errorf("%v Uniform(-3, 1): mean %.4f std %.4f range [%v, %v]", dt, m, s, lo, hi)
		}
		m, s, lo, hi = moments(GlorotUniform(r, dt, 300, 100, 300, 100))
		a := math.Sqrt(6.0 / 400)
		if math.Abs(m) > 0.005*a*5 || math.Abs(s-a/math.Sqrt(3)) > 0.01*a || lo < -a || hi >= a || hi < 0.99*a {
			t.Errorf("%v Glorot: mean %.4f std %.4f (want %.4f) range [%v, %v] (limit %v)", dt, m, s, a/math.Sqrt(3), lo, hi, a)
		}
		m, s, _, _ = moments(HeNormal(r, dt, 50, 500, 400))
		if w := math.Sqrt(2.0 / 50); math.Abs(m) > 0.025*w || math.Abs(s-w) > 0.01*w {
			t.Errorf("%v He: mean %.4f std %.4f want %.4f", dt, m, s, w)
		}
	}
}

// TestUniformFloat32Ends checks the range stays half-open in float32 even
// when the ends are not float32 numbers.
func TestUniformFloat32Ends(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	lo, hi := 0.1, 0.1+1e-7 // a range a few float32 ulps wide
	for _, x := range Uniform(r, lo, hi, tensor.Float32, 10000).Float32s() {
		if float64(x) < lo || float64(x) >= hi {
			t.Fatalf("%v outside [%v, %v)", x, lo, hi)
		}
	}
}

func TestInitDeterministic(t *testing.T) {
	a := HeNormal(rand.New(rand.NewPCG(9, 9)), tensor.Float64, 10, 5, 5)
	b := HeNormal(rand.New(rand.NewPCG(9, 9)), tensor.Float64, 10, 5, 5)
	c := HeNormal(rand.New(rand.NewPCG(9, 10)), tensor.Float64, 10, 5, 5)
	if !slices.Equal(a.Float64s(), b.Float64s()) {
		t.Fatal("same seed, different values")
	}
	if slices.Equal(a.Float64s(), c.Float64s()) {
		t.Fatal("different seeds, same values")
	}
}

func TestInitPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for name, f := range map[string]func(){
		"Zeros dim":    func() { Zeros(tensor.Float32, 2, -1) },
		"Zeros dtype":  func() { Zeros(tensor.Uint8, 2) },
		"Normal int":   func() { Normal(r, 1, tensor.Int64, 2) },
		"Normal std":   func() { Normal(r, -1, tensor.Float64, 2) },
		"Normal nil":   func() { Normal(nil, 1, tensor.Float64, 2) },
		"Uniform ends": func() { Uniform(r, 1, 1, tensor.Float64, 2) },
		"Glorot fan":   func() { GlorotUniform(r, tensor.Float32, 0, 3, 2) },
		"He fan":       func() { HeNormal(r, tensor.Float32, -1, 2) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "train.") {
					t.Errorf("%s: panic %q, want a train.* message", name, msg)
				}
			}()
			f()
		}()
	}
}
