package cuda

import (
	"errors"
	"fmt"
)

// ErrNoKernel is wrapped by Prepare's error for an op this backend cannot
// run on the device.
var ErrNoKernel = errors.New("has no CUDA kernel yet")

// LoadError says which library, symbol or device is missing, and why.
type LoadError struct {
	What string // "libcuda.so.1", "libnvrtc.so", "libcublas.so", "device 0", ...
	Why  string
}

func (e *LoadError) Error() string { return "exec/cuda: " + e.What + ": " + e.Why }

// Error is a failed CUDA driver, NVRTC or cuBLAS call, with the status's
// name.
type Error struct {
	Lib  string // "cuda", "nvrtc" or "cublas"
	Call string // the C function, such as "cuMemAlloc_v2"
	Code int
	Name string // such as "CUDA_ERROR_INVALID_CONTEXT"
	Log  string // NVRTC's compile log, when there is one
}

func (e *Error) Error() string {
	s := fmt.Sprintf("exec/cuda: %s: %s (%d)", e.Call, e.Name, e.Code)
	if e.Code == 201 && e.Lib == "cuda" {
		s += ": no CUDA context on this OS thread (driver calls must run on the device's owner thread)"
	}
	if e.Log != "" {
		s += "\n" + e.Log
	}
	return s
}

// The CUresult codes worth naming without the driver's help (cuda.h); any
// other code is named by cuGetErrorName when the driver is loaded.
var cuResultNames = map[int]string{
	0:   "CUDA_SUCCESS",
	1:   "CUDA_ERROR_INVALID_VALUE",
	2:   "CUDA_ERROR_OUT_OF_MEMORY",
	3:   "CUDA_ERROR_NOT_INITIALIZED",
	4:   "CUDA_ERROR_DEINITIALIZED",
	34:  "CUDA_ERROR_STUB_LIBRARY",
	46:  "CUDA_ERROR_DEVICE_UNAVAILABLE",
	100: "CUDA_ERROR_NO_DEVICE",
	101: "CUDA_ERROR_INVALID_DEVICE",
	200: "CUDA_ERROR_INVALID_IMAGE",
	201: "CUDA_ERROR_INVALID_CONTEXT",
	209: "CUDA_ERROR_NO_BINARY_FOR_GPU",
	218: "CUDA_ERROR_INVALID_PTX",
	222: "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
	300: "CUDA_ERROR_INVALID_SOURCE",
	400: "CUDA_ERROR_INVALID_HANDLE",
	500: "CUDA_ERROR_NOT_FOUND",
	700: "CUDA_ERROR_ILLEGAL_ADDRESS",
	701: "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
	702: "CUDA_ERROR_LAUNCH_TIMEOUT",
	715: "CUDA_ERROR_ILLEGAL_INSTRUCTION",
	716: "CUDA_ERROR_MISALIGNED_ADDRESS",
	719: "CUDA_ERROR_LAUNCH_FAILED",
	801: "CUDA_ERROR_NOT_SUPPORTED",
	803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
	804: "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
	999: "CUDA_ERROR_UNKNOWN",
}

// nvrtcResult codes (nvrtc.h).
var nvrtcNames = map[int]string{
	0:  "NVRTC_SUCCESS",
	1:  "NVRTC_ERROR_OUT_OF_MEMORY",
	2:  "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
	3:  "NVRTC_ERROR_INVALID_INPUT",
	4:  "NVRTC_ERROR_INVALID_PROGRAM",
	5:  "NVRTC_ERROR_INVALID_OPTION",
	6:  "NVRTC_ERROR_COMPILATION",
	7:  "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
	11: "NVRTC_ERROR_INTERNAL_ERROR",
}

// cublasStatus_t codes (cublas_api.h).
var cublasNames = map[int]string{
	0:  "CUBLAS_STATUS_SUCCESS",
	1:  "CUBLAS_STATUS_NOT_INITIALIZED",
	3:  "CUBLAS_STATUS_ALLOC_FAILED",
	7:  "CUBLAS_STATUS_INVALID_VALUE",
	8:  "CUBLAS_STATUS_ARCH_MISMATCH",
	11: "CUBLAS_STATUS_MAPPING_ERROR",
	13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR",
	15: "CUBLAS_STATUS_NOT_SUPPORTED",
	16: "CUBLAS_STATUS_LICENSE_ERROR",
}

// statusName names code from table, or with the library's own namer when
// the table lacks it (namer may be nil or return "").
func statusName(table map[int]string, prefix string, code int, namer func(int) string) string {
	if s, ok := table[code]; ok {
		return s
	}
	if namer != nil {
		if s := namer(code); s != "" {
			return s
		}
	}
	return fmt.Sprintf("%s_UNKNOWN_%d", prefix, code)
}

// cuErr turns a CUresult into an error (nil for CUDA_SUCCESS).
func cuErr(call string, code int32) error {
	if code == 0 {
		return nil
	}
	return &Error{Lib: "cuda", Call: call, Code: int(code), Name: statusName(cuResultNames, "CUDA_ERROR", int(code), driverErrorName)}
}

// nvrtcErr turns an nvrtcResult into an error (nil for NVRTC_SUCCESS).
func nvrtcErr(call string, code int32) error {
	if code == 0 {
		return nil
	}
	return &Error{Lib: "nvrtc", Call: call, Code: int(code), Name: statusName(nvrtcNames, "NVRTC_ERROR", int(code), nvrtcErrorName)}
}

// cublasErr turns a cublasStatus_t into an error (nil for success).
func cublasErr(call string, code int32) error {
	if code == 0 {
		return nil
	}
	return &Error{Lib: "cublas", Call: call, Code: int(code), Name: statusName(cublasNames, "CUBLAS_STATUS", int(code), cublasStatusName)}
}
