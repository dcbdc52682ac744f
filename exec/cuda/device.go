package cuda

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// Device is one GPU with its context, cuBLAS handle and compiled modules.
// Every driver call runs on its owner goroutine, which holds one locked OS
// thread with the context current: the driver binds contexts to threads, so
// calls from whichever thread the Go scheduler picks would fail with
// CUDA_ERROR_INVALID_CONTEXT (201).
type Device struct {
	Name         string
	Major, Minor int // compute capability
	SMs          int

	ord  int32
	ctx  uintptr
	blas uintptr
	jobs chan func()
	mods map[[32]byte]uintptr // source hash → module (owner thread only)
	fns  map[fnKey]uintptr
	tf32 bool
}

type fnKey struct {
	mod  uintptr
	name string
}

var (
	openOnce sync.Once
	opened   *Device
	openErr  error
)

// Open loads the CUDA driver, NVRTC and cuBLAS and opens the GPU numbered
// LOOM_CUDA_DEVICE (default 0), once per process. The error names what is
// missing: the driver library, a device, NVRTC or cuBLAS.
// LOOM_CUDA_TF32=1 lets cuBLAS use TF32 tensor cores for float32 GEMMs
// (about 10 bits of mantissa; off by default).
func Open() (*Device, error) {
	openOnce.Do(func() {
		ord := 0
		if s := os.Getenv("LOOM_CUDA_DEVICE"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				openErr = &LoadError{What: "LOOM_CUDA_DEVICE", Why: fmt.Sprintf("want a device number, got %q", s)}
				return
			}
			ord = v
		}
		opened, openErr = open(ord, os.Getenv("LOOM_CUDA_TF32") == "1")
	})
	return opened, openErr
}

func open(ord int, tf32 bool) (*Device, error) {
	if err := loadDriver(); err != nil {
		return nil, err
	}
	d := &Device{ord: int32(ord), jobs: make(chan func()), mods: map[[32]byte]uintptr{}, fns: map[fnKey]uintptr{}}
	go d.own()
	if err := d.do(d.init); err != nil {
		close(d.jobs)
		return nil, err
	}
	if err := loadNVRTC(); err != nil {
		close(d.jobs)
		return nil, err
	}
	if err := loadCUBLAS(); err != nil {
		close(d.jobs)
		return nil, err
	}
	if err := d.do(func() error { return d.initBLAS(tf32) }); err != nil {
		close(d.jobs)
		return nil, err
	}
	return d, nil
}

// own is the owner goroutine: it keeps one OS thread for the device's life.
func (d *Device) own() {
	runtime.LockOSThread()
	for f := range d.jobs {
		f()
	}
}

// do runs f on the owner thread and waits for it. f must not call do.
func (d *Device) do(f func() error) error {
	done := make(chan error, 1)
	d.jobs <- func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("exec/cuda: panic on the device thread: %v", r)
			}
		}()
		done <- f()
	}
	return <-done
}

// init initializes the driver, finds the device and makes its primary
// context current on the owner thread.
func (d *Device) init() error {
	if code := cuInit(0); code != 0 {
		return &LoadError{What: "CUDA driver", Why: "cuInit failed: " + cuErr("cuInit", code).Error()}
	}
	var n int32
	if err := cuErr("cuDeviceGetCount", cuDeviceGetCount(&n)); err != nil {
		return &LoadError{What: "GPU", Why: err.Error()}
	}
	if n == 0 {
		return &LoadError{What: "GPU", Why: "the driver sees no CUDA device"}
	}
	if d.ord >= n {
		return &LoadError{What: fmt.Sprintf("device %d", d.ord), Why: fmt.Sprintf("only %d CUDA devices", n)}
	}
	var dev int32
	if err := cuErr("cuDeviceGet", cuDeviceGet(&dev, d.ord)); err != nil {
		return err
	}
	attr := func(a int32) (int, error) {
		var v int32
		err := cuErr("cuDeviceGetAttribute", cuDeviceGetAttribute(&v, a, dev))
		return int(v), err
	}
	var err error
	if d.Major, err = attr(attrCCMajor); err != nil {
		return err
	}
	if d.Minor, err = attr(attrCCMinor); err != nil {
		return err
	}
	if d.SMs, err = attr(attrSMCount); err != nil {
		return err
	}
	name := make([]byte, maxDriverLen)
	if err := cuErr("cuDeviceGetName", cuDeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return err
	}
	d.Name = goString(&name[0], len(name))
	if err := cuErr("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(&d.ctx, dev)); err != nil {
		return err
	}
	return cuErr("cuCtxSetCurrent", cuCtxSetCurrent(d.ctx))
}

func (d *Device) initBLAS(tf32 bool) error {
	if err := cublasErr("cublasCreate_v2", cublasCreate(&d.blas)); err != nil {
		return err
	}
	return d.setTF32(tf32)
}

func (d *Device) setTF32(on bool) error {
	mode := int32(cublasDefaultMath)
	if on {
		mode = cublasTF32Math
	}
	if err := cublasErr("cublasSetMathMode", cublasSetMathMode(d.blas, mode)); err != nil {
		return err
	}
	d.tf32 = on
	return nil
}

// SetTF32 turns TF32 tensor-core math for float32 GEMMs on or off.
func (d *Device) SetTF32(on bool) error { return d.do(func() error { return d.setTF32(on) }) }

// TF32 reports whether float32 GEMMs may use TF32.
func (d *Device) TF32() bool { return d.tf32 }

func (d *Device) String() string {
	return fmt.Sprintf("%s (sm_%d%d, %d SMs)", d.Name, d.Major, d.Minor, d.SMs)
}

// The gpu interface, on the owner thread.

func (d *Device) smCount() int { return d.SMs }

func (d *Device) alloc(n int64) (uint64, error) {
	var p uint64
	err := cuErr("cuMemAlloc_v2", cuMemAlloc(&p, uintptr(n)))
	return p, err
}

func (d *Device) free(p uint64) error { return cuErr("cuMemFree_v2", cuMemFree(p)) }

func (d *Device) upload(dst uint64, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	return cuErr("cuMemcpyHtoD_v2", cuMemcpyHtoD(dst, unsafe.Pointer(&src[0]), uintptr(len(src))))
}

func (d *Device) download(dst []byte, src uint64) error {
	if len(dst) == 0 {
		return nil
	}
	return cuErr("cuMemcpyDtoH_v2", cuMemcpyDtoH(unsafe.Pointer(&dst[0]), src, uintptr(len(dst))))
}

func (d *Device) sync() error { return cuErr("cuCtxSynchronize", cuCtxSynchronize()) }

// load compiles src (once per source: modules are cached by its hash) and
// returns its kernel name.
func (d *Device) load(src, name string) (uintptr, error) {
	h := sha256.Sum256([]byte(src))
	mod, ok := d.mods[h]
	if !ok {
		img, err := compile(src, d.Major, d.Minor)
		if err != nil {
			return 0, err
		}
		if err := cuErr("cuModuleLoadData", cuModuleLoadData(&mod, unsafe.Pointer(&img[0]))); err != nil {
			return 0, err
		}
		d.mods[h] = mod
	}
	key := fnKey{mod, name}
	if f, ok := d.fns[key]; ok {
		return f, nil
	}
	var f uintptr
	if err := cuErr("cuModuleGetFunction", cuModuleGetFunction(&f, mod, name)); err != nil {
		return 0, err
	}
	d.fns[key] = f
	return f, nil
}

// launch runs a kernel whose one parameter is the struct params holds.
func (d *Device) launch(k launch) error {
	f, err := d.load(k.src, k.name)
	if err != nil {
		return err
	}
	blob := append([]uint64(nil), k.params...)
	if len(blob) == 0 {
		blob = []uint64{0}
	}
	args := []unsafe.Pointer{unsafe.Pointer(&blob[0])}
	code := cuLaunchKernel(f, uint32(k.grid), 1, 1, uint32(k.block), 1, 1, 0, 0, unsafe.Pointer(&args[0]), nil)
	runtime.KeepAlive(blob)
	runtime.KeepAlive(args)
	return cuErr("cuLaunchKernel", code)
}
