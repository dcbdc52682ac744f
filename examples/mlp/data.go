package main

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// spirals generates the classic interleaved-spirals classification set: one
// arm per class, perClass points each, angles jittered by noise. Points are
// [N,2] float32, labels [N] int64. No straight line separates two arms, so
// a linear model stays near chance (1/classes) and an MLP must bend.
func spirals(classes, perClass int, noise float64, seed uint64) (*tensor.Dense, *tensor.Dense) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	n := classes * perClass
	xs := make([]float32, 0, 2*n)
	ys := make([]int64, 0, n)
	for c := 0; c < classes; c++ {
		for i := 0; i < perClass; i++ {
			t := float64(i) / float64(perClass) // radius 0..1
			angle := 4*t + 2*math.Pi*float64(c)/float64(classes) + noise*r.NormFloat64()
			xs = append(xs, float32(t*math.Sin(angle)), float32(t*math.Cos(angle)))
			ys = append(ys, int64(c))
		}
	}
	return tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs)),
		tensor.New(tensor.WithShape(n), tensor.WithBacking(ys))
}
