package cuda

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
)

// gpu is what the backend needs from a device. Device implements it with
// the CUDA driver; tests implement it with an emulator. Every method but do
// must run inside do, on the device's owner thread.
type gpu interface {
	do(f func() error) error
	smCount() int
	alloc(n int64) (uint64, error)
	free(p uint64) error
	upload(dst uint64, src []byte) error
	download(dst []byte, src uint64) error
	prepare(src, name string) error // compile and load ahead of the first launch
	launch(k launch) error
	gemm(g gemmCall) error
	lu(c luCall) error // cuBLAS's batched LU (getrf, getrs, getri)
	sync() error
}

var _ gpu = (*Device)(nil)

func (d *Device) prepare(src, name string) error {
	_, err := d.load(src, name)
	return err
}

// buffer is device memory, shared by the values that view it.
type buffer struct {
	ptr   uint64
	bytes int64
	refs  int
	slot  bool // part of a plan's arena: never returned to the pool
}

// pinned marks buffers a run must not free: feeds and constants.
const pinned = 1 << 30

// engine is the device-side state every program on one GPU shares: the
// buffer pool (free lists by size class) and the frees that finalizers
// queue for the owner thread.
type engine struct {
	g    gpu
	free map[int64][]uint64
	mu   sync.Mutex
	late []*buffer
}

func newEngine(g gpu) *engine { return &engine{g: g, free: map[int64][]uint64{}} }

var (
	engineOnce sync.Once
	theEngine  *engine
)

// deviceEngine is the engine of the process's GPU.
func deviceEngine(d *Device) *engine {
	engineOnce.Do(func() { theEngine = newEngine(d) })
	return theEngine
}

// sizeClass rounds n up so that freed buffers fit later requests of
// similar size: steps of an eighth of the power of two below n (at most
// 12.5% waste), at least 256 bytes.
func sizeClass(n int64) int64 {
	if n <= 256 {
		return 256
	}
	step := int64(1) << max(0, 63-bits.LeadingZeros64(uint64(n))-3)
	return (n + step - 1) / step * step
}

// alloc takes a buffer of at least n bytes from the pool, or from the
// device; when the device is full it returns every pooled buffer and tries
// once more.
func (e *engine) alloc(n int64) (*buffer, error) {
	e.drainLate()
	if n == 0 {
		return &buffer{refs: 1}, nil
	}
	c := sizeClass(n)
	if l := e.free[c]; len(l) > 0 {
		p := l[len(l)-1]
		e.free[c] = l[:len(l)-1]
		return &buffer{ptr: p, bytes: c, refs: 1}, nil
	}
	p, err := e.g.alloc(c)
	for try := 0; try < 2 && outOfMemory(err); try++ {
		if try == 1 {
			// Device memory is invisible to Go's collector: values nobody
			// holds any more (a training loop's replaced weights) come back
			// only through their finalizers, so collect and wait for them.
			e.collect()
		}
		if err := e.trim(); err != nil {
			return nil, err
		}
		p, err = e.g.alloc(c)
	}
	if err != nil {
		return nil, fmt.Errorf("allocating %d bytes: %w", n, err)
	}
	return &buffer{ptr: p, bytes: c, refs: 1}, nil
}

// release drops one reference; the last returns the memory to the pool.
func (e *engine) release(b *buffer) {
	if b == nil {
		return
	}
	if b.refs--; b.refs == 0 && b.ptr != 0 && !b.slot {
		e.free[b.bytes] = append(e.free[b.bytes], b.ptr)
		b.ptr = 0
	}
}

func outOfMemory(err error) bool {
	var ce *Error
	return err != nil && errors.As(err, &ce) && ce.Code == 2 // CUDA_ERROR_OUT_OF_MEMORY
}

// collect runs the garbage collector and takes back the device memory of
// the values it finds unreachable, waiting briefly for their finalizers.
func (e *engine) collect() {
	runtime.GC()
	for range 20 {
		e.mu.Lock()
		n := len(e.late)
		e.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Millisecond) // let the rest of the queue's finalizers run
	e.drainLate()
}

// trim gives every pooled buffer back to the device.
func (e *engine) trim() error {
	for c, l := range e.free {
		for _, p := range l {
			if err := e.g.free(p); err != nil {
				return err
			}
		}
		delete(e.free, c)
	}
	return nil
}

// releaseLater queues a release for the owner thread (finalizers run
// elsewhere).
func (e *engine) releaseLater(b *buffer) {
	e.mu.Lock()
	e.late = append(e.late, b)
	e.mu.Unlock()
}

func (e *engine) drainLate() {
	e.mu.Lock()
	late := e.late
	e.late = nil
	e.mu.Unlock()
	for _, b := range late {
		e.release(b)
	}
}

// Tensor is a value held on the GPU: the program inputs and results of
// Backend.Call, which stay on the device between calls.
type Tensor struct {
	e     *engine
	buf   *buffer
	dt    tensor.Dtype
	shape []int
}

// DType is the element type.
func (t *Tensor) DType() tensor.Dtype { return t.dt }

// Shape is the dims.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

func (t *Tensor) size() int    { return dense.Size(t.shape) }
func (t *Tensor) bytes() int64 { return int64(t.size() * elemBytes(t.dt)) }
func (t *Tensor) ptr() uint64  { return t.buf.ptr }

// newTensor allocates an uninitialized device value.
func (e *engine) newTensor(dt tensor.Dtype, shape []int) (*Tensor, error) {
	t := &Tensor{e: e, dt: dt, shape: append([]int(nil), shape...)}
	b, err := e.alloc(t.bytes())
	if err != nil {
		return nil, err
	}
	t.buf = b
	return t, nil
}

// view is t reshaped, sharing its buffer.
func (t *Tensor) view(shape []int) *Tensor {
	t.buf.refs++
	return &Tensor{e: t.e, buf: t.buf, dt: t.dt, shape: append([]int(nil), shape...)}
}

// hostBytes is the raw memory of a contiguous host tensor.
func hostBytes(t *tensor.Dense) []byte {
	n := t.Size() * elemBytes(t.Dtype())
	if n == 0 {
		return nil
	}
	var p unsafe.Pointer
	switch v := dense.Raw(t).(type) {
	case []float32:
		p = unsafe.Pointer(&v[0])
	case []float64:
		p = unsafe.Pointer(&v[0])
	case []int64:
		p = unsafe.Pointer(&v[0])
	case []bool:
		p = unsafe.Pointer(&v[0])
	default:
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// put copies a host tensor to a new device value.
func (e *engine) put(h *tensor.Dense) (*Tensor, error) {
	if !supportedDtype(h.Dtype()) {
		return nil, fmt.Errorf("exec/cuda: unsupported dtype %v", h.Dtype())
	}
	h = dense.Contiguous(h)
	t, err := e.newTensor(h.Dtype(), dense.Shape(h))
	if err != nil {
		return nil, err
	}
	if err := e.g.upload(t.ptr(), hostBytes(h)); err != nil {
		e.release(t.buf)
		return nil, err
	}
	return t, nil
}

// get copies a device value to a new host tensor.
func (e *engine) get(t *Tensor) (*tensor.Dense, error) {
	h := dense.Zeros(t.dt, t.shape)
	if err := e.g.download(hostBytes(h), t.ptr()); err != nil {
		return nil, err
	}
	return h, nil
}
