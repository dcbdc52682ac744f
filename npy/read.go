package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"gorgonia.org/tensor"
)

// chunk is the read buffer size. Data is decoded chunk by chunk, so a header
// that promises terabytes costs only what the reader actually delivers
// before the truncation error.
const chunk = 1 << 16

// Load reads the .npy file at path.
func Load(path string) (*tensor.Dense, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	t, err := Read(bufio.NewReaderSize(f, chunk))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}

// Read decodes one array in NPY format (versions 1.0, 2.0 and 3.0) from r.
// It reads exactly the array's bytes and nothing after them, so several
// arrays written back to back can be read in turn from one stream.
func Read(r io.Reader) (*tensor.Dense, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range h.shape {
		n *= d // toShape checked the product for overflow
	}
	if n > math.MaxInt/h.kind.size {
		return nil, fmt.Errorf("npy: shape %v is too large", h.shape)
	}
	var data any
	switch h.kind.dt {
	case tensor.Float32:
		data, err = readElems[float32](r, n, h.kind)
	case tensor.Float64:
		data, err = readElems[float64](r, n, h.kind)
	case tensor.Int64:
		data, err = readElems[int64](r, n, h.kind)
	case tensor.Int32:
		data, err = readElems[int32](r, n, h.kind)
	case tensor.Bool:
		// Bytes first: a Go bool must be 0 or 1, and NumPy reads any
		// nonzero byte as True.
		var raw []uint8
		raw, err = readElems[uint8](r, n, h.kind)
		bs := make([]bool, len(raw))
		for i, v := range raw {
			bs[i] = v != 0
		}
		data = bs
	}
	if err != nil {
		return nil, err
	}
	if h.fortran && len(h.shape) > 1 {
		data = toC(data, h.shape)
	}
	return tensor.New(tensor.WithShape(h.shape...), tensor.WithBacking(data)), nil
}

func readHeader(r io.Reader) (header, error) {
	var pre [8]byte
	if got, err := io.ReadFull(r, pre[:]); err != nil {
		if got == 0 && errors.Is(err, io.EOF) {
			return header{}, fmt.Errorf("npy: empty input, not an .npy file")
		}
		return header{}, fmt.Errorf("npy: bad magic: input is %d bytes, too short for an .npy file", got)
	}
	if string(pre[:6]) != magic {
		return header{}, fmt.Errorf("npy: bad magic %q, want %q (not an .npy file)", pre[:6], magic)
	}
	var hlen int
	switch major, minor := pre[6], pre[7]; {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, fmt.Errorf("npy: truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, fmt.Errorf("npy: truncated header length")
		}
		v := binary.LittleEndian.Uint32(b[:])
		if v > maxHeader {
			return header{}, fmt.Errorf("npy: header length %d exceeds the %d-byte limit", v, maxHeader)
		}
		hlen = int(v)
	default:
		return header{}, fmt.Errorf("npy: unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	buf := make([]byte, hlen)
	if got, err := io.ReadFull(r, buf); err != nil {
		return header{}, fmt.Errorf("npy: truncated header: expected %d bytes, got %d", hlen, got)
	}
	return parseHeader(string(buf))
}

// toC reorders column-major (Fortran) data into row-major order.
func toC(data any, shape []int) any {
	switch d := data.(type) {
	case []float32:
		return permute(d, shape)
	case []float64:
		return permute(d, shape)
	case []int64:
		return permute(d, shape)
	case []int32:
		return permute(d, shape)
	case []bool:
		return permute(d, shape)
	}
	panic("npy: unreachable dtype")
}

func permute[T any](src []T, shape []int) []T {
	dst := make([]T, len(src))
	if len(dst) == 0 {
		return dst
	}
	// Walk destination (C) order with an odometer over the index, tracking
	// the element's offset in the Fortran layout.
	st := make([]int, len(shape))
	s := 1
	for k, d := range shape {
		st[k] = s
		s *= d
	}
	idx := make([]int, len(shape))
	off := 0
	for i := range dst {
		dst[i] = src[off]
		for k := len(shape) - 1; k >= 0; k-- {
			idx[k]++
			off += st[k]
			if idx[k] < shape[k] {
				break
			}
			off -= st[k] * shape[k]
			idx[k] = 0
		}
	}
	return dst
}
