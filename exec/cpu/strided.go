package cpu

import (
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/internal/parallel"
)

// Layout kernels (broadcast, select, concat, take, …) only move elements, so
// they work on bytes: one code path for every dtype, whole runs moved with
// copy (memmove) where both sides are contiguous, and element loops of the
// element's width where one side is strided.

// elems is a tensor's backing as bytes, es bytes per element.
type elems struct {
	b  []byte
	es int
}

func elemsOf(t *tensor.Dense) (elems, bool) {
	switch v := dense.Raw(t).(type) {
	case []float32:
		return elems{asBytes(v), 4}, true
	case []float64:
		return elems{asBytes(v), 8}, true
	case []int64:
		return elems{asBytes(v), 8}, true
	case []bool:
		return elems{asBytes(v), 1}, true
	}
	return elems{}, false
}

func asBytes[T any](v []T) []byte {
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(z)))
}

func words[W any](b []byte) []W {
	var z W
	return unsafe.Slice((*W)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(z)))
}

// move copies n elements: src at si, si+ss, … to dst at di, di+ds, ….
// ss may be 0 (one element repeated).
func move(dst elems, di, ds int, src elems, si, ss, n int) {
	if n <= 0 {
		return
	}
	es := dst.es
	if ds == 1 && ss == 1 {
		copy(dst.b[di*es:(di+n)*es], src.b[si*es:(si+n)*es])
		return
	}
	switch es {
	case 4:
		moveW(words[uint32](dst.b), di, ds, words[uint32](src.b), si, ss, n)
	case 8:
		moveW(words[uint64](dst.b), di, ds, words[uint64](src.b), si, ss, n)
	default:
		moveW(dst.b, di, ds, src.b, si, ss, n)
	}
}

func moveW[W uint8 | uint32 | uint64](d []W, di, ds int, s []W, si, ss, n int) {
	_ = d[di+(n-1)*ds]
	_ = s[si+(n-1)*ss]
	if ds == 1 {
		d = d[di : di+n]
		for j := range d {
			d[j] = s[si+j*ss]
		}
		return
	}
	for j := range n {
		d[di+j*ds] = s[si+j*ss]
	}
}

// walk is a strided walk over a buffer: element (i0, i1, …) is at
// base + Σ i_k·stride_k. Its elements pair, in row-major order, with a
// contiguous buffer of the same count.
type walk struct {
	base          int
	count, stride []int
}

// merged drops size-1 dims and joins neighbours the walk crosses as one, so
// the innermost run is as long as possible.
func (v walk) merged() walk {
	out := walk{base: v.base}
	for k, c := range v.count {
		if c == 1 {
			continue
		}
		if l := len(out.count) - 1; l >= 0 && out.stride[l] == v.stride[k]*c {
			out.count[l] *= c
			out.stride[l] = v.stride[k]
			continue
		}
		out.count = append(out.count, c)
		out.stride = append(out.stride, v.stride[k])
	}
	return out
}

func (v walk) size() int { return dense.Size(v.count) }

// copyMinBytes is the amount of data below which a layout kernel runs on
// the calling goroutine.
const copyMinBytes = 1 << 16

// rows calls fn(off, pos, n, step) for each innermost run of the view, on
// the workers: n elements at view offsets off, off+step, … pairing with
// contiguous positions pos…pos+n-1.
func (v walk) rows(es int, fn func(off, pos, n, step int)) {
	v = v.merged()
	r := len(v.count)
	if r == 0 {
		fn(v.base, 0, 1, 1)
		return
	}
	n, step := v.count[r-1], v.stride[r-1]
	outer := v.count[:r-1]
	rows := dense.Size(outer)
	if rows == 0 || n == 0 {
		return
	}
	parallel.For(rows, max(1, copyMinBytes/(n*es)), func(lo, hi int) {
		idx := make([]int, len(outer))
		rem := lo
		for k := len(outer) - 1; k >= 0; k-- {
			idx[k] = rem % outer[k]
			rem /= outer[k]
		}
		for row := lo; row < hi; row++ {
			off := v.base
			for k, i := range idx {
				off += i * v.stride[k]
			}
			fn(off, row*n, n, step)
			for k := len(idx) - 1; k >= 0; k-- {
				if idx[k]++; idx[k] < outer[k] {
					break
				}
				idx[k] = 0
			}
		}
	})
}

// gatherView copies the view of src into dst, contiguous.
func gatherView(dst, src elems, v walk) {
	v.rows(dst.es, func(off, pos, n, step int) { move(dst, pos, 1, src, off, step, n) })
}

// scatterView copies contiguous src into the view of dst.
func scatterView(dst, src elems, v walk) {
	v.rows(dst.es, func(off, pos, n, step int) { move(dst, off, step, src, pos, 1, n) })
}
