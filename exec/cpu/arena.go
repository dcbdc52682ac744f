package cpu

import (
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// arena holds one Run's planned slots; a Prepared program keeps its arenas
// from run to run, so their memory is allocated (and page-faulted) once.
type arena struct {
	mem    [][]uint64 // per slot, 8-byte aligned for every dtype
	lo, hi []uintptr  // per slot: its address range
}

// size makes room for every slot (allocated now, kept afterwards).
func (a *arena) size(bytes []int64) {
	for s, b := range bytes {
		if s == len(a.mem) {
			a.mem = append(a.mem, nil)
			a.lo, a.hi = append(a.lo, 0), append(a.hi, 0)
		}
		if int64(len(a.mem[s]))*8 < b {
			a.mem[s] = make([]uint64, (b+7)/8)
			a.lo[s] = uintptr(unsafe.Pointer(unsafe.SliceData(a.mem[s])))
			a.hi[s] = a.lo[s] + uintptr(len(a.mem[s]))*8
		}
	}
}

// tensor views slot s as a dt tensor of shape (dirty: the kernel writes it).
func (a *arena) tensor(s int, dt tensor.Dtype, shape []int) *tensor.Dense {
	n := dense.Size(shape)
	ptr := unsafe.Pointer(unsafe.SliceData(a.mem[s]))
	var backing any
	switch dt {
	case tensor.Float32:
		backing = unsafe.Slice((*float32)(ptr), n)
	case tensor.Float64:
		backing = unsafe.Slice((*float64)(ptr), n)
	case tensor.Int64:
		backing = unsafe.Slice((*int64)(ptr), n)
	case tensor.Bool:
		backing = unsafe.Slice((*bool)(ptr), n)
	default:
		return nil
	}
	return tensor.New(tensor.WithShape(append([]int(nil), shape...)...), tensor.WithBacking(backing))
}

// owner is the slot t's memory lies in, or -1.
func (a *arena) owner(t *tensor.Dense) int {
	p := dense.Backing(t)
	if p == 0 {
		return -1
	}
	for s := range a.lo {
		if p >= a.lo[s] && p < a.hi[s] {
			return s
		}
	}
	return -1
}
