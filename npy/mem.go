package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
)

// hostLittle reports a little-endian machine. Data moves between files and
// tensors as raw memory and is byte-swapped only where the file's order
// differs from the host's: on x86 and arm64 a '<f4' file is one copy.
var hostLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// firstAlloc is the most Read allocates before the data has arrived. Past
// it the buffer doubles as data keeps coming, so a corrupt header promising
// terabytes costs only what the input actually holds.
const firstAlloc = 1 << 22

// elem is an element type NPY data maps onto byte for byte.
type elem interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~uint8 | ~bool
}

// bytesOf views xs' memory as bytes.
func bytesOf[T elem](xs []T) []byte {
	if len(xs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(xs))), len(xs)*int(unsafe.Sizeof(xs[0])))
}

// readElems reads n elements stored in order k straight into a []T.
func readElems[T elem](r io.Reader, n int, k kind) ([]T, error) {
	if n == 0 {
		return []T{}, nil
	}
	out := make([]T, min(n, max(1, firstAlloc/k.size)))
	got := 0 // elements filled
	for {
		m, err := io.ReadFull(r, bytesOf(out[got:]))
		if err != nil {
			return nil, fmt.Errorf("npy: truncated data: expected %d bytes, got %d", n*k.size, got*k.size+m)
		}
		got = len(out)
		if got == n {
			break
		}
		out = append(out, make([]T, min(n, 2*got)-got)...)
	}
	if k.size > 1 && k.big == hostLittle {
		swap(bytesOf(out), k.size)
	}
	return out, nil
}

// swap reverses the bytes of each size-byte element of b in place.
func swap(b []byte, size int) {
	switch size {
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], binary.BigEndian.Uint32(b[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.BigEndian.Uint64(b[i:]))
		}
	}
}

// writeElems writes xs little-endian: its memory as it is on a
// little-endian host, else through a swapped copy, a chunk at a time.
func writeElems[T elem](w io.Writer, xs []T) error {
	b := bytesOf(xs)
	if hostLittle || len(xs) == 0 {
		_, err := w.Write(b)
		return err
	}
	size := int(unsafe.Sizeof(xs[0]))
	buf := make([]byte, min(len(b), chunk))
	for len(b) > 0 {
		k := copy(buf, b)
		swap(buf[:k], size)
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		b = b[k:]
	}
	return nil
}
