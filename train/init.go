package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// The initialisers return a new contiguous tensor of dtype dt and the given
// shape (no dims: a rank-0 scalar). Like make, they panic on a programming
// error (negative dim, nil *rand.Rand, a dtype they cannot fill, a bad
// fan): their signatures mirror the builders users call once at model
// set-up, where an error return would only be ignored.

// Zeros returns a tensor of zeros (float32, float64, int64 or bool false).
func Zeros(dt tensor.Dtype, shape ...int) *tensor.Dense {
	mustShape("Zeros", shape)
	if !dense.Supported(dt) {
		panic(fmt.Sprintf("train.Zeros: unsupported dtype %v (want float32, float64, int64 or bool)", dt))
	}
	return dense.Zeros(dt, shape)
}

// Ones returns a tensor of ones (float32, float64, int64 or bool true).
func Ones(dt tensor.Dtype, shape ...int) *tensor.Dense {
	t := Zeros(dt, shape...)
	switch dt {
	case tensor.Float32:
		fill(t.Float32s(), 1)
	case tensor.Float64:
		fill(t.Float64s(), 1)
	case tensor.Int64:
		fill(t.Int64s(), 1)
	case tensor.Bool:
		fill(t.Bools(), true)
	}
	return t
}

func fill[T any](xs []T, v T) {
	for i := range xs {
		xs[i] = v
	}
}

// Normal draws from N(0, std²).
func Normal(r *rand.Rand, std float64, dt tensor.Dtype, shape ...int) *tensor.Dense {
	if std < 0 || math.IsNaN(std) || math.IsInf(std, 0) {
		panic(fmt.Sprintf("train.Normal: std = %v; want a finite value ≥ 0", std))
	}
	return draw("Normal", r, dt, shape, func() float64 { return std * r.NormFloat64() })
}

// Uniform draws from U[lo, hi).
func Uniform(r *rand.Rand, lo, hi float64, dt tensor.Dtype, shape ...int) *tensor.Dense {
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		panic(fmt.Sprintf("train.Uniform: [%v, %v) is not a finite non-empty range", lo, hi))
	}
	t := draw("Uniform", r, dt, shape, func() float64 { return lo + (hi-lo)*r.Float64() })
	if dt == tensor.Float32 {
		// Rounding to float32 can step just outside [lo, hi) when the ends
		// are not float32 numbers; pull such values back in.
		top := math.Nextafter32(float32(hi), float32(math.Inf(-1)))
		bot := math.Nextafter32(float32(lo), float32(math.Inf(1)))
		xs := t.Float32s()
		for i, v := range xs {
			if float64(v) >= hi {
				xs[i] = top
			} else if float64(v) < lo {
				xs[i] = bot
			}
		}
	}
	return t
}

// GlorotUniform is Xavier/Glorot uniform initialisation: U[−a, a) with
// a = √(6 / (fanIn + fanOut)), as torch.nn.init.xavier_uniform_ (gain 1).
func GlorotUniform(r *rand.Rand, dt tensor.Dtype, fanIn, fanOut int, shape ...int) *tensor.Dense {
	if fanIn <= 0 || fanOut <= 0 {
		panic(fmt.Sprintf("train.GlorotUniform: fanIn = %d, fanOut = %d; both must be > 0", fanIn, fanOut))
	}
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	return Uniform(r, -a, a, dt, shape...)
}

// HeNormal is Kaiming/He normal initialisation for ReLU layers: N(0, 2/fanIn),
// as torch.nn.init.kaiming_normal_(mode="fan_in", nonlinearity="relu").
func HeNormal(r *rand.Rand, dt tensor.Dtype, fanIn int, shape ...int) *tensor.Dense {
	if fanIn <= 0 {
		panic(fmt.Sprintf("train.HeNormal: fanIn = %d; must be > 0", fanIn))
	}
	return Normal(r, math.Sqrt(2/float64(fanIn)), dt, shape...)
}

// draw fills a new float tensor with next(), in row-major order, so the
// values depend only on the generator's state and the element count.
func draw(op string, r *rand.Rand, dt tensor.Dtype, shape []int, next func() float64) *tensor.Dense {
	if r == nil {
		panic(fmt.Sprintf("train.%s: nil *rand.Rand", op))
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		panic(fmt.Sprintf("train.%s: unsupported dtype %v (want float32 or float64)", op, dt))
	}
	t := Zeros(dt, shape...)
	if dt == tensor.Float32 {
		xs := t.Float32s()
		for i := range xs {
			xs[i] = float32(next())
		}
		return t
	}
	xs := t.Float64s()
	for i := range xs {
		xs[i] = next()
	}
	return t
}

func mustShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("train.%s: negative dim in shape %v", op, shape))
		}
	}
}
