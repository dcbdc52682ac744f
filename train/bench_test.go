package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkStep times one optimiser step over a single parameter tensor;
// bytes/s counts the parameter and gradient read plus the parameter write.
func BenchmarkStep(b *testing.B) {
	for _, n := range []int{1 << 14, 1 << 20} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, c := range []struct {
				name string
				opt  func() Optimizer
			}{
				{"sgd", func() Optimizer { return NewSGD(0.01, 0) }},
				{"momentum", func() Optimizer { return NewSGD(0.01, 0.9) }},
				{"adam", func() Optimizer { return NewAdam(1e-3) }},
				{"adamw", func() Optimizer { return NewAdamW(1e-3, 0.01) }},
			} {
				b.Run(fmt.Sprintf("%s/%v/n=%d", c.name, dt, n), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 1))
					p := []*tensor.Dense{Normal(r, 1, dt, n)}
					g := []*tensor.Dense{Normal(r, 1e-3, dt, n)}
					o := c.opt()
					b.SetBytes(int64(n) * int64(dt.Size()) * 3)
					b.ReportAllocs()
					for b.Loop() {
						if err := o.Step(p, g); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
