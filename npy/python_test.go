package npy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/tensor"
)

// python returns a python3 that can import numpy, or skips the test saying
// why. LOOM_PYTHON picks one explicitly; otherwise python3 on PATH is tried,
// then the system one (pyenv shims often lack numpy).
func python(t *testing.T) string {
	t.Helper()
	cands := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("LOOM_PYTHON"); p != "" {
		cands = []string{p}
	}
	for _, c := range cands {
		if exec.Command(c, "-c", "import numpy").Run() == nil {
			return c
		}
	}
	t.Skipf("no python3 with numpy found (tried %v); set LOOM_PYTHON to one", cands)
	return ""
}

// readBack loads every .npy file in dir with NumPy and reports dtype, shape
// and C-order values (floats as their exact doubles; bools as 0/1).
const readBack = `
import json, sys, os
import numpy as np
out = {}
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    a = np.load(os.path.join(d, f))
    out[f[:-4]] = {"dtype": a.dtype.str, "shape": list(a.shape),
                   "values": [float(v) for v in np.ascontiguousarray(a).ravel()]}
json.dump(out, sys.stdout)
`

// TestPythonReadsGo writes arrays with Go, loads them with NumPy and
// compares values.
func TestPythonReadsGo(t *testing.T) {
	py := python(t)
	r := rand.New(rand.NewPCG(8, 9))
	arrays := map[string]*tensor.Dense{
		"f4":     random(r, tensor.Float32, []int{3, 4}),
		"f8":     random(r, tensor.Float64, []int{2, 3, 2}),
		"i8":     tensor.New(tensor.WithShape(4), tensor.WithBacking([]int64{-3, 0, 1 << 40, 7})),
		"i4":     random(r, tensor.Int32, []int{5}),
		"b1":     random(r, tensor.Bool, []int{2, 5}),
		"scalar": tensor.New(tensor.WithShape(), tensor.WithBacking([]float64{-0.5})),
		"empty":  random(r, tensor.Float32, []int{0, 4}),
	}
	tr := random(r, tensor.Float64, []int{3, 5})
	if err := tr.T(); err != nil {
		t.Fatal(err)
	}
	arrays["transposed"] = tr
	sl, err := random(r, tensor.Float32, []int{4, 6}).Slice(tensor.S(1, 3), tensor.S(2, 5))
	if err != nil {
		t.Fatal(err)
	}
	arrays["sliced"] = sl.(*tensor.Dense)

	dir := t.TempDir()
	for name, a := range arrays {
		if err := Save(filepath.Join(dir, name+".npy"), a); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-c", readBack, dir)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var got map[string]struct {
		DType  string    `json:"dtype"`
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatal(err)
	}
	descr := map[tensor.Dtype]string{tensor.Float32: "<f4", tensor.Float64: "<f8", tensor.Int64: "<i8", tensor.Int32: "<i4", tensor.Bool: "|b1"}
	for name, a := range arrays {
		g, ok := got[name]
		if !ok {
			t.Fatalf("%s: NumPy did not report it", name)
		}
		if g.DType != descr[a.Dtype()] || !slices.Equal(g.Shape, []int(a.Shape())) {
			t.Fatalf("%s: NumPy sees %s %v, want %s %v", name, g.DType, g.Shape, descr[a.Dtype()], a.Shape())
		}
		if want := flat(a); !slices.Equal(g.Values, want) && !(len(want) == 0 && len(g.Values) == 0) {
			t.Fatalf("%s: NumPy values %v, want %v", name, g.Values, want)
		}
	}
}
