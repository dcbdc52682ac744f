package npy_test

import (
	"bytes"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/npy"
)

func Example() {
	w := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))

	var buf bytes.Buffer // npy.Save(path, w) writes the same bytes to a file
	if err := npy.Write(&buf, w); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", buf.Bytes()[10:69])

	back, err := npy.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Shape(), back.Dtype(), back.Float32s())
	// Output:
	// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	// (2, 3) float32 [1 2 3 4 5 6]
}
