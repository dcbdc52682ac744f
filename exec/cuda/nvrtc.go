package cuda

import (
	"fmt"
	"strings"
	"unsafe"
)

// The NVRTC entry points (nvrtc.h). nvrtcProgram is a pointer.
var (
	nvrtcVersion           func(major, minor *int32) int32
	nvrtcCreateProgram     func(prog *uintptr, src, name string, nHeaders int32, headers, includeNames unsafe.Pointer) int32
	nvrtcCompileProgram    func(prog uintptr, nOptions int32, options unsafe.Pointer) int32
	nvrtcGetPTXSize        func(prog uintptr, size *uintptr) int32
	nvrtcGetPTX            func(prog uintptr, ptx *byte) int32
	nvrtcGetCUBINSize      func(prog uintptr, size *uintptr) int32
	nvrtcGetCUBIN          func(prog uintptr, cubin *byte) int32
	nvrtcGetProgramLogSize func(prog uintptr, size *uintptr) int32
	nvrtcGetProgramLog     func(prog uintptr, log *byte) int32
	nvrtcDestroyProgram    func(prog *uintptr) int32
	nvrtcGetErrorString    func(code int32) string
)

// nvrtcCandidates are tried in order: the unversioned development link,
// then the CUDA 13, 12 and 11.2+ runtimes (11.x keeps one soname).
var nvrtcCandidates = []string{"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"}

// hasCUBIN is set when NVRTC can emit SASS directly (CUDA ≥ 11.2): the
// driver then loads the module without a PTX JIT, so a toolkit newer than
// the driver still works.
var hasCUBIN bool

// loadNVRTC opens the first NVRTC that loads and binds its entry points.
func loadNVRTC() error {
	h, tried, err := openFirst(nvrtcCandidates)
	if err != nil {
		return &LoadError{What: "libnvrtc.so", Why: "cannot load NVRTC (the CUDA runtime compiler; install the CUDA toolkit's nvrtc package): " + tried}
	}
	syms := []struct {
		name string
		fn   any
	}{
		{"nvrtcVersion", &nvrtcVersion},
		{"nvrtcCreateProgram", &nvrtcCreateProgram},
		{"nvrtcCompileProgram", &nvrtcCompileProgram},
		{"nvrtcGetPTXSize", &nvrtcGetPTXSize},
		{"nvrtcGetPTX", &nvrtcGetPTX},
		{"nvrtcGetProgramLogSize", &nvrtcGetProgramLogSize},
		{"nvrtcGetProgramLog", &nvrtcGetProgramLog},
		{"nvrtcDestroyProgram", &nvrtcDestroyProgram},
		{"nvrtcGetErrorString", &nvrtcGetErrorString},
	}
	for _, s := range syms {
		if err := dlsym(h, s.name, s.fn); err != nil {
			return &LoadError{What: "libnvrtc.so", Why: err.Error()}
		}
	}
	hasCUBIN = dlsym(h, "nvrtcGetCUBINSize", &nvrtcGetCUBINSize) == nil &&
		dlsym(h, "nvrtcGetCUBIN", &nvrtcGetCUBIN) == nil
	return nil
}

// openFirst opens the first library of names that loads; tried says why
// each failed.
func openFirst(names []string) (uintptr, string, error) {
	var why []string
	for _, n := range names {
		h, err := dlopen(n)
		if err == nil {
			return h, "", nil
		}
		why = append(why, err.Error())
	}
	return 0, strings.Join(why, "; "), fmt.Errorf("none of %v loads", names)
}

func nvrtcErrorName(code int) string {
	if nvrtcGetErrorString == nil {
		return ""
	}
	return nvrtcGetErrorString(int32(code))
}

// compileOptions are NVRTC's flags for a device of compute capability
// major.minor: SASS for it (sm_XY) when NVRTC can emit a CUBIN, else PTX for
// its virtual architecture, which the driver compiles at load.
func compileOptions(major, minor int, cubin bool) []string {
	arch := fmt.Sprintf("compute_%d%d", major, minor)
	if cubin {
		arch = fmt.Sprintf("sm_%d%d", major, minor)
	}
	return []string{"--gpu-architecture=" + arch, "--std=c++17"}
}

// compile turns CUDA C source into a module image (CUBIN or PTX) for a
// device of compute capability major.minor. A compile error carries NVRTC's
// log and the source.
func compile(src string, major, minor int) ([]byte, error) {
	var prog uintptr
	if err := nvrtcErr("nvrtcCreateProgram", nvrtcCreateProgram(&prog, src, "loom.cu", 0, nil, nil)); err != nil {
		return nil, err
	}
	defer nvrtcDestroyProgram(&prog)
	opts := compileOptions(major, minor, hasCUBIN)
	cstr := make([][]byte, len(opts))
	ptrs := make([]*byte, len(opts))
	for k, o := range opts {
		cstr[k] = append([]byte(o), 0)
		ptrs[k] = &cstr[k][0]
	}
	if code := nvrtcCompileProgram(prog, int32(len(opts)), unsafe.Pointer(&ptrs[0])); code != 0 {
		e := nvrtcErr("nvrtcCompileProgram", code).(*Error)
		e.Log = programLog(prog) + "\nsource:\n" + numbered(src)
		return nil, e
	}
	size, get, call := nvrtcGetPTXSize, nvrtcGetPTX, "nvrtcGetPTX"
	if hasCUBIN {
		size, get, call = nvrtcGetCUBINSize, nvrtcGetCUBIN, "nvrtcGetCUBIN"
	}
	var n uintptr
	if err := nvrtcErr(call+"Size", size(prog, &n)); err != nil {
		return nil, err
	}
	img := make([]byte, n+1) // a PTX image must end in NUL
	if n > 0 {
		if err := nvrtcErr(call, get(prog, &img[0])); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// programLog is NVRTC's log for prog ("" when it has none).
func programLog(prog uintptr) string {
	var n uintptr
	if nvrtcGetProgramLogSize(prog, &n) != 0 || n <= 1 {
		return ""
	}
	b := make([]byte, n)
	if nvrtcGetProgramLog(prog, &b[0]) != 0 {
		return ""
	}
	return strings.TrimRight(string(b), "\x00\n")
}

// numbered prefixes each line of src with its number, as compile logs cite.
func numbered(src string) string {
	var b strings.Builder
	for k, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", k+1, l)
	}
	return b.String()
}
