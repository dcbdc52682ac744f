package nn

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// The initial values modules give their parameters. They return nil for a
// dtype a parameter set cannot hold (NewParams has already recorded that
// error, and Add turns nil into a poisoned node rather than a panic).

func filled(dt tensor.Dtype, v float64, shape ...int) *tensor.Dense {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil
	}
	data := make([]float64, dense.Size(shape))
	for k := range data {
		data[k] = v
	}
	return dense.FromF64(dt, shape, data)
}

// glorot draws from U(-a, a), a = √(6/(fanIn+fanOut)): Glorot & Bengio's
// choice that keeps activations' variance about constant through a layer.
// The fans are explicit because a per-head weight [heads, d, dk] is a slice of
// one [d, heads·dk] matrix, which the shape alone does not say.
func glorot(r *rand.Rand, dt tensor.Dtype, fanIn, fanOut int, shape ...int) *tensor.Dense {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil
	}
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	data := make([]float64, dense.Size(shape))
	for k := range data {
		data[k] = a * (2*r.Float64() - 1)
	}
	return dense.FromF64(dt, shape, data)
}

// normal draws from N(0, std²).
func normal(r *rand.Rand, dt tensor.Dtype, std float64, shape ...int) *tensor.Dense {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil
	}
	data := make([]float64, dense.Size(shape))
	for k := range data {
		data[k] = std * r.NormFloat64()
	}
	return dense.FromF64(dt, shape, data)
}
