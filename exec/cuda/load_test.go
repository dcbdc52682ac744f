package cuda_test

import (
	"errors"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/exec/cuda"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// Without an NVIDIA driver, Open and exec.OnCUDA say which library is
// missing; with one, Open works and this test has nothing to check.
func TestLoadErrorNamesDriver(t *testing.T) {
	d, err := cuda.Open()
	if err == nil {
		t.Skipf("a GPU is present (%v): the missing-driver error cannot be seen here", d)
	}
	var le *cuda.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Open: %v (%T), want a *cuda.LoadError", err, err)
	}
	if le.What == "libcuda.so.1" && !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Fatalf("Open: %q does not name libcuda.so.1", err)
	}
	t.Logf("Open: %v", err)

	g := graph.New()
	x := g.Input("x", tensor.Float32, 4)
	_, cerr := exec.Compile([]*graph.Node{nodes.Exp(x)}, exec.OnCUDA())
	if cerr == nil {
		t.Fatal("Compile with OnCUDA succeeded without a usable GPU")
	}
	for _, want := range []string{"OnCUDA", le.What} {
		if !strings.Contains(cerr.Error(), want) {
			t.Errorf("Compile: %q does not mention %q", cerr, want)
		}
	}
	if !errors.As(cerr, &le) {
		t.Errorf("Compile: %v does not wrap the *cuda.LoadError", cerr)
	}
}

// The driver library is the first thing loaded, so on a machine without it
// the error names it exactly.
func TestLoadErrorOnThisMachine(t *testing.T) {
	_, err := cuda.Open()
	if err == nil {
		t.Skip("a GPU is present")
	}
	var le *cuda.LoadError
	if errors.As(err, &le) && le.What != "libcuda.so.1" {
		t.Skipf("libcuda.so.1 loads here; the failure is elsewhere: %v", err)
	}
	if !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Fatalf("Open: %q does not name libcuda.so.1", err)
	}
}
