package cuda

import (
	"strings"
	"unsafe"
)

// The CUDA driver API entry points (cuda.h). CUresult is an int enum;
// CUdevice is an int; CUcontext, CUmodule and CUfunction are pointers;
// CUdeviceptr is a 64-bit integer.
var (
	cuInit                   func(flags uint32) int32
	cuDriverGetVersion       func(v *int32) int32
	cuDeviceGetCount         func(n *int32) int32
	cuDeviceGet              func(dev *int32, ordinal int32) int32
	cuDeviceGetAttribute     func(v *int32, attr int32, dev int32) int32
	cuDeviceGetName          func(name *byte, n int32, dev int32) int32
	cuDevicePrimaryCtxRetain func(ctx *uintptr, dev int32) int32
	cuCtxSetCurrent          func(ctx uintptr) int32
	cuCtxSynchronize         func() int32
	cuMemAlloc               func(p *uint64, size uintptr) int32
	cuMemFree                func(p uint64) int32
	cuMemcpyHtoD             func(dst uint64, src unsafe.Pointer, n uintptr) int32
	cuMemcpyDtoH             func(dst unsafe.Pointer, src uint64, n uintptr) int32
	cuModuleLoadData         func(m *uintptr, image unsafe.Pointer) int32
	cuModuleGetFunction      func(f *uintptr, m uintptr, name string) int32
	cuLaunchKernel           func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params, extra unsafe.Pointer) int32
	cuGetErrorName           func(code int32, name **byte) int32
)

// Device attributes (CUdevice_attribute).
const (
	attrSMCount  = 16
	attrCCMajor  = 75
	attrCCMinor  = 76
	driverLib    = "libcuda.so.1"
	maxDriverLen = 256
)

// loadDriver opens libcuda.so.1 and binds every entry point loom uses.
func loadDriver() error {
	h, err := dlopen(driverLib)
	if err != nil {
		return &LoadError{What: driverLib, Why: "cannot load the NVIDIA driver library (is an NVIDIA driver installed?): " + err.Error()}
	}
	syms := []struct {
		name string
		fn   any
	}{
		{"cuInit", &cuInit},
		{"cuDriverGetVersion", &cuDriverGetVersion},
		{"cuDeviceGetCount", &cuDeviceGetCount},
		{"cuDeviceGet", &cuDeviceGet},
		{"cuDeviceGetAttribute", &cuDeviceGetAttribute},
		{"cuDeviceGetName", &cuDeviceGetName},
		{"cuDevicePrimaryCtxRetain", &cuDevicePrimaryCtxRetain},
		{"cuCtxSetCurrent", &cuCtxSetCurrent},
		{"cuCtxSynchronize", &cuCtxSynchronize},
		{"cuMemAlloc_v2", &cuMemAlloc},
		{"cuMemFree_v2", &cuMemFree},
		{"cuMemcpyHtoD_v2", &cuMemcpyHtoD},
		{"cuMemcpyDtoH_v2", &cuMemcpyDtoH},
		{"cuModuleLoadData", &cuModuleLoadData},
		{"cuModuleGetFunction", &cuModuleGetFunction},
		{"cuLaunchKernel", &cuLaunchKernel},
		{"cuGetErrorName", &cuGetErrorName},
	}
	for _, s := range syms {
		if err := dlsym(h, s.name, s.fn); err != nil {
			return &LoadError{What: driverLib, Why: err.Error()}
		}
	}
	return nil
}

// driverErrorName asks the driver for a CUresult's name ("" if it cannot).
func driverErrorName(code int) string {
	if cuGetErrorName == nil {
		return ""
	}
	var p *byte
	if cuGetErrorName(int32(code), &p) != 0 || p == nil {
		return ""
	}
	return goString(p, maxDriverLen)
}

// goString copies a NUL-terminated C string of at most max bytes.
func goString(p *byte, max int) string {
	var b strings.Builder
	for i := 0; i < max; i++ {
		c := *(*byte)(unsafe.Add(unsafe.Pointer(p), i))
		if c == 0 {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}
