package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestClip(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		gs := []*tensor.Dense{Normal(r, 1, dt, 10, 10), Normal(r, 1, dt), Normal(r, 1, dt, 7)}
		var before [][]float64
		ss := 0.0
		for _, g := range gs {
			v := values(g)
			before = append(before, v)
			for _, x := range v {
				ss += x * x
			}
		}
		want := math.Sqrt(ss)
		norm, err := Clip(gs, 100) // above the norm: no change
		if err != nil || math.Abs(norm-want) > 1e-9*want {
			t.Fatalf("%v: norm %v err %v, want %v", dt, norm, err, want)
		}
		for i, g := range gs {
			for j, x := range values(g) {
				if x != before[i][j] {
					t.Fatalf("%v: a norm below maxNorm changed grads", dt)
				}
			}
		}
		norm, err = Clip(gs, 2)
		if err != nil || math.Abs(norm-want) > 1e-9*want {
			t.Fatalf("%v: norm %v err %v", dt, norm, err)
		}
		c := 2 / (want + 1e-6)
		after := 0.0
		for i, g := range gs {
			for j, x := range values(g) {
				if math.Abs(x-c*before[i][j]) > 1e-6*math.Abs(before[i][j]) {
					t.Fatalf("%v: grads[%d][%d] = %v, want %v", dt, i, j, x, c*before[i][j])
				}
				after += x * x
			}
		}
		if math.Abs(math.Sqrt(after)-2) > 1e-5 {
			t.Fatalf("%v: norm after clipping %v, want 2", dt, math.Sqrt(after))
		}
	}
}

func TestClipErrors(t *testing.T) {
	nan := Zeros(tensor.Float64, 2)
	nan.Float64s()[1] = math.NaN()
	ok := Ones(tensor.Float64, 2)
	if _, err := Clip([]*tensor.Dense{ok, nan}, 1); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN: %v", err)
	}
	if ok.Float64s()[0] != 1 {
		t.Fatal("a failed Clip changed grads")
	}
	tr := Zeros(tensor.Float32, 2, 3)
	tr.T()
	for _, c := range []struct {
		gs   []*tensor.Dense
		max  float64
		want string
	}{
		{[]*tensor.Dense{ok}, -1, "maxNorm = -1"},
		{[]*tensor.Dense{ok, nil}, 1, "grads[1] is nil"},
		{[]*tensor.Dense{Zeros(tensor.Int64, 2)}, 1, "dtype int64"},
		{[]*tensor.Dense{tr}, 1, "is a view"},
	} {
		if _, err := Clip(c.gs, c.max); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}
