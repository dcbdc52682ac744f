package cuda

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// emu is a gpu that runs generated kernels on the host: each source is
// compiled once with g++ against testdata/emu.h (binaries cached across
// runs), and each launch runs that binary on a file holding device memory.
// cuBLAS is emulated in Go with its column-major semantics, so the row-major
// operand swap is tested too. It checks what a GPU would: the generated
// code, the packing of every kernel's parameter struct (the binary rejects
// a size mismatch), grid-stride and block-cooperative logic, and the
// backend's planning and memory handling — not speed, nor the driver calls.
type emu struct {
	t        testing.TB
	dir      string
	header   []byte
	mu       sync.Mutex
	mem      []byte
	jmu      sync.Mutex
	jobs     map[[32]byte]*compileJob // by source: its binary, compiled once
	sem      chan struct{}            // bounds concurrent g++ runs
	launches int
	// limit caps the bytes allocated and not yet freed (0: 1 GiB), as a
	// device's memory does; sizes remembers each allocation's.
	limit, used int64
	sizes       map[uint64]int64
}

const emuBase = 0x300000000000

// newEmu skips t where no C++20 compiler is found.
func newEmu(t testing.TB) *emu {
	t.Helper()
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("no g++ to emulate the GPU with")
	}
	h, err := os.ReadFile(filepath.Join("testdata", "emu.h"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "loom-cuda-emu")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &emu{t: t, dir: dir, header: h, jobs: map[[32]byte]*compileJob{}, sem: make(chan struct{}, runtime.NumCPU())}
}

func (e *emu) do(f func() error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return f()
}

func (e *emu) smCount() int { return 2 }

func (e *emu) alloc(n int64) (uint64, error) {
	off := (len(e.mem) + 255) / 256 * 256
	limit := e.limit
	if limit == 0 {
		limit = 1 << 30
	}
	if e.used+n > limit || off+int(n) > 1<<31 {
		return 0, &Error{Lib: "cuda", Call: "cuMemAlloc_v2", Code: 2, Name: "CUDA_ERROR_OUT_OF_MEMORY"}
	}
	e.mem = append(e.mem, make([]byte, off+int(n)-len(e.mem))...)
	if e.sizes == nil {
		e.sizes = map[uint64]int64{}
	}
	p := emuBase + uint64(off)
	e.used += n
	e.sizes[p] = n
	return p, nil
}

// free gives the bytes back to the limit (addresses are not reused, so a
// stale pointer reads what it read before, never another value).
func (e *emu) free(p uint64) error {
	e.used -= e.sizes[p]
	delete(e.sizes, p)
	return nil
}

func (e *emu) at(p uint64, n int) []byte {
	off := int(p - emuBase)
	if p < emuBase || off+n > len(e.mem) {
		e.t.Fatalf("emu: access of %d bytes at %#x outside device memory", n, p)
	}
	return e.mem[off : off+n]
}

func (e *emu) upload(dst uint64, src []byte) error {
	if len(src) > 0 {
		copy(e.at(dst, len(src)), src)
	}
	return nil
}

func (e *emu) download(dst []byte, src uint64) error {
	if len(dst) > 0 {
		copy(dst, e.at(src, len(dst)))
	}
	return nil
}

func (e *emu) sync() error { return nil }

// compileJob is one kernel's host program, compiled (or found in the
// cache) in the background.
type compileJob struct {
	done chan struct{}
	path string
	err  error
}

// binary is the host program running kernel name of src, once compiled.
func (e *emu) binary(src, name string) (string, error) {
	j := e.start(src, name)
	<-j.done
	return j.path, j.err
}

// prepare starts compiling, so that a program's kernels compile side by
// side (g++ is the emulator's slow part); a rejected kernel fails its first
// launch, and TestNVRTCCompilesEveryKernel holds every kernel to NVRTC.
func (e *emu) prepare(src, name string) error {
	e.start(src, name)
	return nil
}

// start returns src's compile job, starting it the first time.
func (e *emu) start(src, name string) *compileJob {
	threaded := strings.Contains(src, "__syncthreads") || strings.Contains(src, "__shfl")
	main := fmt.Sprintf("%s\n%s\nint main(int argc, char **argv) { return emu_main(%s, argc, argv, %v); }\n", "#include \"emu.h\"", src, name, threaded)
	key := sha256.Sum256(append(append([]byte(nil), e.header...), main...))
	e.jmu.Lock()
	defer e.jmu.Unlock()
	if j, ok := e.jobs[key]; ok {
		return j
	}
	j := &compileJob{done: make(chan struct{})}
	e.jobs[key] = j
	go func() {
		defer close(j.done)
		e.sem <- struct{}{}
		defer func() { <-e.sem }()
		j.path, j.err = e.compile(key, main, src, name)
	}()
	return j
}

// compile builds the host program of main into the cache directory, named
// by key (a temporary name first, so a concurrent reader never sees half a
// binary).
func (e *emu) compile(key [32]byte, main, src, name string) (string, error) {
	bin := filepath.Join(e.dir, fmt.Sprintf("%x", key[:12]))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp, err := os.MkdirTemp(e.dir, "build")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cc := filepath.Join(tmp, "kernel.cc")
	if err := os.WriteFile(cc, []byte(main), 0o644); err != nil {
		return "", err
	}
	inc, _ := filepath.Abs("testdata")
	out, err := exec.Command("g++", "-std=c++20", "-O1", "-pthread", "-w", "-I", inc, "-o", filepath.Join(tmp, "kernel"), cc).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("g++ rejects the kernel %s: %v\n%s\nsource:\n%s", name, err, out, numbered(src))
	}
	if err := os.Rename(filepath.Join(tmp, "kernel"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

func (e *emu) launch(k launch) error {
	bin, err := e.binary(k.src, k.name)
	if err != nil {
		return err
	}
	e.launches++
	dir := e.t.TempDir()
	arena, params := filepath.Join(dir, "arena"), filepath.Join(dir, "params")
	if err := os.WriteFile(arena, e.mem, 0o644); err != nil {
		return err
	}
	pb := make([]byte, 0, 8*len(k.params))
	for _, v := range k.params {
		pb = binary.LittleEndian.AppendUint64(pb, v)
	}
	if err := os.WriteFile(params, pb, 0o644); err != nil {
		return err
	}
	out, err := exec.Command(bin, arena, fmt.Sprintf("%x", emuBase), params, fmt.Sprint(k.grid), fmt.Sprint(k.block)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("emulated kernel %s failed: %v\n%s", k.name, err, out)
	}
	mem, err := os.ReadFile(arena)
	if err != nil {
		return err
	}
	copy(e.mem, mem)
	return nil
}

// gemm is cuBLAS's column-major GEMM, C = alpha·op(A)·op(B), in float64
// arithmetic rounded to the element type.
func (e *emu) gemm(g gemmCall) error {
	es := 4
	if g.f64 {
		es = 8
	}
	get := func(base uint64, i int) float64 {
		b := e.at(base+uint64(i*es), es)
		if g.f64 {
			return math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	}
	set := func(base uint64, i int, v float64) {
		b := e.at(base+uint64(i*es), es)
		if g.f64 {
			binary.LittleEndian.PutUint64(b, math.Float64bits(v))
		} else {
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		}
	}
	ptr := func(arr uint64, i int) uint64 { return binary.LittleEndian.Uint64(e.at(arr+uint64(8*i), 8)) }
	for bi := 0; bi < g.batch; bi++ {
		a, b, c := g.a, g.b, g.c
		switch {
		case g.strided:
			a, b, c = a+uint64(int64(bi)*g.sa*int64(es)), b+uint64(int64(bi)*g.sb*int64(es)), c+uint64(int64(bi)*g.sc*int64(es))
		case g.batch > 1:
			a, b, c = ptr(g.a, bi), ptr(g.b, bi), ptr(g.c, bi)
		}
		for i := 0; i < g.m; i++ {
			for j := 0; j < g.n; j++ {
				s := 0.0
				for l := 0; l < g.k; l++ {
					ai, bj := i+l*g.lda, l+j*g.ldb
					if g.transA {
						ai = l + i*g.lda
					}
					if g.transB {
						bj = j + l*g.ldb
					}
					s += get(a, ai) * get(b, bj)
				}
				set(c, i+j*g.ldc, g.alpha*s)
			}
		}
	}
	return nil
}
