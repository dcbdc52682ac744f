package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"gorgonia.org/tensor"
)

// Save writes t to the file at path (created or truncated) in NPY format.
func Save(path string, t *tensor.Dense) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	w := bufio.NewWriterSize(f, chunk)
	err = Write(w, t)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("npy: %w", cerr)
	}
	return err
}

// Write encodes t in NPY format 1.0 (2.0 when the header is too long for
// 1.0), little-endian, C order. Views and transposed tensors are written by
// their logical values, as NumPy would see them.
func Write(w io.Writer, t *tensor.Dense) error {
	if t == nil {
		return errors.New("npy: cannot write a nil tensor")
	}
	descr, err := descrOf(t.Dtype())
	if err != nil {
		return err
	}
	shape := []int(t.Shape())
	if _, err := w.Write(preamble(formatHeader(descr, shape))); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if t.Size() == 0 {
		return nil
	}
	switch t.Dtype() {
	case tensor.Float32:
		err = writeElems(w, logical(t, t.Float32s()))
	case tensor.Float64:
		err = writeElems(w, logical(t, t.Float64s()))
	case tensor.Int64:
		err = writeElems(w, logical(t, t.Int64s()))
	case tensor.Int32:
		err = writeElems(w, logical(t, t.Int32s()))
	case tensor.Bool:
		err = writeElems(w, logical(t, t.Bools()))
	}
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// preamble is magic, version, header length and the header padded with
// spaces and a newline so the data starts on a 64-byte boundary, as NumPy
// lays it out.
func preamble(h string) []byte {
	major, lenBytes := byte(1), 2
	pad := func(fixed int) int { return (64 - (fixed+len(h)+1)%64) % 64 }
	total := len(h) + pad(8+2) + 1
	if total > math.MaxUint16 {
		major, lenBytes = 2, 4
		total = len(h) + pad(8+4) + 1
	}
	out := make([]byte, 0, 8+lenBytes+total)
	out = append(out, magic...)
	out = append(out, major, 0)
	if lenBytes == 2 {
		out = binary.LittleEndian.AppendUint16(out, uint16(total))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(total))
	}
	out = append(out, h...)
	out = append(out, strings.Repeat(" ", total-len(h)-1)...)
	return append(out, '\n')
}

// logical returns t's elements in row-major logical order: raw itself for a
// plain buffer, else gathered through t's iterator (slices, transposes).
func logical[T any](t *tensor.Dense, raw []T) []T {
	if !t.IsView() && !t.IsMaterializable() {
		return raw[:t.Size()]
	}
	out := make([]T, 0, t.Size())
	it := t.Iterator()
	for i, err := it.Next(); err == nil; i, err = it.Next() {
		out = append(out, raw[i])
	}
	return out
}
