package train_test

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/train"
)

// Fit y = 3x − 1 by minibatch Adam; the gradient of the squared error is
// written out by hand here (autodiff.Grad computes it for loom graphs).
func Example() {
	r := rand.New(rand.NewPCG(1, 2))
	x := train.Uniform(r, -1, 1, tensor.Float64, 256)
	y := train.Zeros(tensor.Float64, 256)
	for i, v := range x.Float64s() {
		y.Float64s()[i] = 3*v - 1
	}

	w := train.Zeros(tensor.Float64, 2) // slope, intercept
	grad := train.Zeros(tensor.Float64, 2)
	opt := train.NewAdam(0.05)
	loop := train.Loop{N: 256, BatchSize: 32, Epochs: 60, Seed: 1, Quiet: true}
	losses, err := loop.Run(func(epoch int, batch []int) (float64, error) {
		xb, err := train.Batch(x, batch)
		if err != nil {
			return 0, err
		}
		yb, err := train.Batch(y, batch)
		if err != nil {
			return 0, err
		}
		a, b := w.Float64s()[0], w.Float64s()[1]
		g := grad.Float64s()
		g[0], g[1] = 0, 0
		loss := 0.0
		for i, xi := range xb.Float64s() {
			e := a*xi + b - yb.Float64s()[i]
			loss += e * e / float64(len(batch))
			g[0] += 2 * e * xi / float64(len(batch))
			g[1] += 2 * e / float64(len(batch))
		}
		return loss, opt.Step([]*tensor.Dense{w}, []*tensor.Dense{grad})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("w = %.2f, b = %.2f, final loss < 1e-3: %v\n", w.Float64s()[0], w.Float64s()[1], losses[len(losses)-1] < 1e-3)
	// Output:
	// w = 3.00, b = -1.00, final loss < 1e-3: true
}
