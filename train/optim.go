package train

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
)

// Optimizer updates parameters in place from their gradients.
type Optimizer interface {
	// Step updates params in place from grads (same count, shapes and
	// dtypes, else an error naming the index and shapes).
	Step(params, grads []*tensor.Dense) error
}

// grain is the smallest block of elements worth handing to another core:
// the updates are a few flops per element, so small tensors stay serial.
const grain = 1 << 15

// float is the element type of a trainable parameter.
type float interface{ ~float32 | ~float64 }

// slot is one parameter's optimiser state, kept by its position in params.
type slot struct {
	dt    tensor.Dtype
	shape []int
	a, b  any // state buffers ([]float32 or []float64), nil until needed
	t     int // steps taken
}

// state checks params and grads against each other and against the state
// kept from earlier steps, creating it on the first step.
func state(op string, slots *[]slot, params, grads []*tensor.Dense) error {
	if len(params) != len(grads) {
		return fmt.Errorf("train: %s: %d params but %d grads", op, len(params), len(grads))
	}
	if *slots != nil && len(*slots) != len(params) {
		return fmt.Errorf("train: %s: got %d params, but the state was built for %d (call Reset to start over)", op, len(params), len(*slots))
	}
	for i, p := range params {
		g := grads[i]
		switch {
		case p == nil:
			return fmt.Errorf("train: %s: params[%d] is nil", op, i)
		case g == nil:
			return fmt.Errorf("train: %s: grads[%d] is nil", op, i)
		case p.Dtype() != tensor.Float32 && p.Dtype() != tensor.Float64:
			return fmt.Errorf("train: %s: params[%d] has dtype %v; only float32 and float64 can be trained", op, i, p.Dtype())
		case p.IsView() || p.IsMaterializable():
			// A view's raw slice is not its logical elements: updating it
			// would write the wrong numbers.
			return fmt.Errorf("train: %s: params[%d] %v is a view or transposed; parameters must own a contiguous buffer", op, i, p.Shape())
		case g.Dtype() != p.Dtype():
			return fmt.Errorf("train: %s: grads[%d] has dtype %v but params[%d] has %v", op, i, g.Dtype(), i, p.Dtype())
		case !slices.Equal(p.Shape(), g.Shape()): // not Shape.Eq, which equates (3, 1) with (3)
			return fmt.Errorf("train: %s: grads[%d] shape %v differs from params[%d] shape %v", op, i, g.Shape(), i, p.Shape())
		}
		if *slots != nil {
			s := (*slots)[i]
			if s.dt != p.Dtype() || !slices.Equal(s.shape, p.Shape()) {
				return fmt.Errorf("train: %s: params[%d] is %v %v, but its state was built for %v %v (call Reset to start over)", op, i, p.Dtype(), p.Shape(), s.dt, tensor.Shape(s.shape))
			}
		}
	}
	if *slots == nil {
		*slots = make([]slot, len(params))
		for i, p := range params {
			(*slots)[i] = slot{dt: p.Dtype(), shape: dense.Shape(p)}
		}
	}
	return nil
}

// buffer returns *buf as []T, allocating n zeros the first time.
func buffer[T float](buf *any, n int) []T {
	if *buf == nil {
		*buf = make([]T, n)
	}
	return (*buf).([]T)
}

// raw returns the parameter's and the gradient's elements; a gradient that
// is a view is copied into logical order first.
func raw[T float](p, g *tensor.Dense) ([]T, []T) {
	return dense.Raw(p).([]T), dense.Raw(dense.Contiguous(g)).([]T)
}

// each runs fn over [0, n) in blocks, on several cores when n is large.
func each(n int, fn func(lo, hi int)) {
	if n < 2*grain {
		fn(0, n)
		return
	}
	parallel.For(n, grain, fn)
}

// hyper checks that a hyperparameter is finite and not negative.
func hyper(op, name string, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("train: %s: %s = %v; want a finite value ≥ 0", op, name, v)
	}
	return nil
}

var errNesterov = errors.New("train: SGD: Nesterov momentum needs Momentum > 0")
