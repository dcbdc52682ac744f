package cuda

import (
	"strings"
	"testing"
	"unsafe"

	"gorgonia.org/tensor"
)

// laGoldens are the linear-algebra kernels' golden sources (goldenKernels
// adds them): register and local-memory forms of the per-thread kernels,
// both forms of the block Cholesky, and the kernels around cuBLAS's LU
// (its copies are the elementwise and copy kernels, golden already).
func laGoldens(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, k := range map[string]interface{ Source() (string, error) }{
		"solve_f32_n12":         solve{dt: tensor.Float32, n: 12, nb: 1},
		"inv_f32_n5":            inv{dt: tensor.Float32, n: 5},
		"inv_f64_n16":           inv{dt: tensor.Float64, n: 16},
		"chol_f64_n4":           chol{dt: tensor.Float64, n: 4},
		"chol_f32_n13":          chol{dt: tensor.Float32, n: 13},
		"chol_block_shared_f32": cholBlock{dt: tensor.Float32, shared: true},
		"chol_block_global_f64": cholBlock{dt: tensor.Float64},
		"lu_in_f32":             luIn{dt: tensor.Float32},
		"lu_check":              luCheck{},
	} {
		src, err := k.Source()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = src
	}
	return out
}

// The per-thread kernels compile with NVRTC for Hopper at the sizes where
// their form changes (unrolled in registers up to regsN, rolled above),
// both dtypes: the op suite reaches only a few of them.
func TestNVRTCCompilesLAKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 42 kernels")
	}
	if err := loadNVRTC(); err != nil {
		t.Skipf("no NVRTC to compile with: %v", err)
	}
	var ks []interface{ Source() (string, error) }
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, n := range []int{1, 2, 3, regsN, regsN + 1, maxSolveN} {
			ks = append(ks, solve{dt: dt, n: n, nb: 2}, inv{dt: dt, n: n}, chol{dt: dt, n: n})
		}
		ks = append(ks, cholBlock{dt: dt}, cholBlock{dt: dt, shared: true}, luIn{dt: dt})
	}
	for _, k := range ks {
		src, err := k.Source()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compile(src, 9, 0); err != nil {
			t.Errorf("%+v: %v", k, err)
		}
	}
	t.Logf("%d kernels compiled", len(ks))
}

// ptxasLog compiles src for sm_90 with ptxas's resource report and returns
// NVRTC's log.
func ptxasLog(t *testing.T, src string) string {
	t.Helper()
	var prog uintptr
	if err := nvrtcErr("nvrtcCreateProgram", nvrtcCreateProgram(&prog, src, "loom.cu", 0, nil, nil)); err != nil {
		t.Fatal(err)
	}
	defer nvrtcDestroyProgram(&prog)
	var ptrs []*byte
	for _, o := range []string{"--gpu-architecture=sm_90", "--std=c++17", "--ptxas-options=-v"} {
		ptrs = append(ptrs, &append([]byte(o), 0)[0])
	}
	if err := nvrtcErr("nvrtcCompileProgram", nvrtcCompileProgram(prog, int32(len(ptrs)), unsafe.Pointer(&ptrs[0]))); err != nil {
		t.Fatalf("%v\n%s", err, programLog(prog))
	}
	return programLog(prog)
}

// A small matrix stays in registers: every index into it is a constant
// once the loops are unrolled (a row swap through the pivot's run-time
// index once put the whole 5×5 solve in a 240-byte stack frame).
func TestSmallLAKernelsKeepRegisters(t *testing.T) {
	if err := loadNVRTC(); err != nil {
		t.Skipf("no NVRTC to compile with: %v", err)
	}
	for _, k := range []interface{ Source() (string, error) }{
		solve{dt: tensor.Float32, n: 5, nb: 1}, inv{dt: tensor.Float32, n: 5}, chol{dt: tensor.Float32, n: 5},
	} {
		src, err := k.Source()
		if err != nil {
			t.Fatal(err)
		}
		if l := ptxasLog(t, src); !strings.Contains(l, " 0 bytes stack frame") {
			t.Errorf("%+v: %s", k, l)
		}
	}
}
