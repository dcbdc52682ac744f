package train

import (
	"errors"
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// Gather copies rows (indices along dim 0) of the dataset src into the batch
// buffer dst: dst[k] = src[rows[k]]. dst must have len(rows) rows and src's
// other dims and dtype (float32, float64, int64 or bool), and own a
// contiguous buffer. src may be a view, but is then copied whole first:
// keep datasets contiguous.
func Gather(dst, src *tensor.Dense, rows []int) error {
	if dst == nil || src == nil {
		return errors.New("train: Gather: nil tensor")
	}
	if src.Dims() == 0 {
		return errors.New("train: Gather: src is a scalar; it needs a leading dim of examples")
	}
	if dst.Dtype() != src.Dtype() {
		return fmt.Errorf("train: Gather: dst dtype %v differs from src dtype %v", dst.Dtype(), src.Dtype())
	}
	if !dense.Supported(src.Dtype()) {
		return fmt.Errorf("train: Gather: unsupported dtype %v", src.Dtype())
	}
	ss, ds := []int(src.Shape()), []int(dst.Shape())
	want := append([]int{len(rows)}, ss[1:]...)
	if !slices.Equal(ds, want) {
		return fmt.Errorf("train: Gather: dst shape %v, want %v for %d rows of src %v", ds, want, len(rows), ss)
	}
	if dst.IsView() || dst.IsMaterializable() {
		return fmt.Errorf("train: Gather: dst %v is a view; it must own a contiguous buffer", ds)
	}
	for k, r := range rows {
		if r < 0 || r >= ss[0] {
			return fmt.Errorf("train: Gather: rows[%d] = %d out of range [0, %d)", k, r, ss[0])
		}
	}
	src = dense.Contiguous(src)
	w := dense.Size(ss[1:])
	for k, r := range rows {
		dense.CopyElems(dst, k*w, src, r*w, w)
	}
	return nil
}

// Batch returns a new tensor holding rows of src along dim 0; see Gather.
func Batch(src *tensor.Dense, rows []int) (*tensor.Dense, error) {
	if src == nil || src.Dims() == 0 {
		return nil, errors.New("train: Batch: src must be a tensor with a leading dim of examples")
	}
	if !dense.Supported(src.Dtype()) {
		return nil, fmt.Errorf("train: Batch: unsupported dtype %v", src.Dtype())
	}
	dst := dense.Zeros(src.Dtype(), append([]int{len(rows)}, src.Shape()[1:]...))
	if err := Gather(dst, src, rows); err != nil {
		return nil, err
	}
	return dst, nil
}
