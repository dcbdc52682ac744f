package train

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestGather(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	rows := []int{4, 0, 4, 2}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Bool} {
		src := Zeros(dt, 5, 2, 3)
		// Fill element (i, j, k) with a value that names it: 100i+10j+k.
		for i := range 5 {
			for j := range 2 {
				for k := range 3 {
					v := float64(100*i + 10*j + k)
					switch dt {
					case tensor.Float32:
						src.Float32s()[i*6+j*3+k] = float32(v)
					case tensor.Float64:
						src.Float64s()[i*6+j*3+k] = v
					case tensor.Int64:
						src.Int64s()[i*6+j*3+k] = int64(v)
					case tensor.Bool:
						src.Bools()[i*6+j*3+k] = (i+j+k)%2 == 0
					}
				}
			}
		}
		got, err := Batch(src, rows)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal([]int(got.Shape()), []int{4, 2, 3}) {
			t.Fatalf("%v: shape %v", dt, got.Shape())
		}
		for b, i := range rows {
			for j := range 2 {
				for k := range 3 {
					g, _ := got.At(b, j, k)
					w, _ := src.At(i, j, k)
					if g != w {
						t.Fatalf("%v: batch[%d][%d][%d] = %v, want src[%d][%d][%d] = %v", dt, b, j, k, g, i, j, k, w)
					}
				}
			}
		}
	}
	// A vector dataset of labels, gathered into a reused buffer.
	labels := tensor.New(tensor.WithShape(6), tensor.WithBacking([]int64{10, 11, 12, 13, 14, 15}))
	dst := Zeros(tensor.Int64, 3)
	for range 3 {
		rs := []int{r.IntN(6), r.IntN(6), r.IntN(6)}
		if err := Gather(dst, labels, rs); err != nil {
			t.Fatal(err)
		}
		for k, i := range rs {
			if dst.Int64s()[k] != int64(10+i) {
				t.Fatalf("labels %v for rows %v", dst.Int64s(), rs)
			}
		}
	}
	// A transposed dataset is read by its logical rows.
	tr := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	tr.T() // logical [[1 3 5] [2 4 6]]
	got, err := Batch(tr, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Float64s(), []float64{2, 4, 6}) {
		t.Fatalf("transposed row: %v", got.Float64s())
	}
}

func TestGatherErrors(t *testing.T) {
	src := Zeros(tensor.Float32, 5, 3)
	view, _ := Zeros(tensor.Float32, 4, 3).Slice(tensor.S(0, 2))
	for _, c := range []struct {
		dst  *tensor.Dense
		rows []int
		want string
	}{
		{Zeros(tensor.Float32, 2, 3), []int{1, 5}, "rows[1] = 5 out of range [0, 5)"},
		{Zeros(tensor.Float32, 2, 3), []int{-1, 0}, "rows[0] = -1 out of range"},
		{Zeros(tensor.Float32, 3, 3), []int{1, 2}, "dst shape [3 3], want [2 3]"},
		{Zeros(tensor.Float32, 2, 4), []int{1, 2}, "want [2 3]"},
		{Zeros(tensor.Float64, 2, 3), []int{1, 2}, "dst dtype float64 differs from src dtype float32"},
		{view.(*tensor.Dense), []int{1, 2}, "is a view"},
		{nil, []int{1}, "nil tensor"},
	} {
		if err := Gather(c.dst, src, c.rows); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	if err := Gather(Zeros(tensor.Float32), Zeros(tensor.Float32), nil); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Errorf("scalar src: %v", err)
	}
	if _, err := Batch(Zeros(tensor.Float32, 3), []int{3}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("Batch out of range: %v", err)
	}
}
