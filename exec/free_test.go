package exec_test

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Free releases a Value: it can no longer be read or fed (a clear error,
// never stale data), freeing it again does nothing, and the values it was
// computed with or from are untouched.
func TestValueFree(t *testing.T) {
	g := graph.New()
	x := g.Input("x", tensor.Float64, 3)
	prog, err := exec.Compile([]*graph.Node{nodes.Exp(x)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := prog.Put(dense.FromF64(tensor.Float64, []int{3}, []float64{0, 1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Call(map[string]*exec.Value{"x": v})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Free(); err != nil {
		t.Fatal(err)
	}
	if err := v.Free(); err != nil {
		t.Fatalf("a second Free: %v", err)
	}
	if _, err := prog.Call(map[string]*exec.Value{"x": v}); err == nil || !strings.Contains(err.Error(), "freed") {
		t.Fatalf("Call with a freed value: %v, want an error saying it was freed", err)
	}
	if _, err := v.Dense(); err == nil || !strings.Contains(err.Error(), "freed") {
		t.Fatalf("Dense of a freed value: %v, want an error saying it was freed", err)
	}
	h, err := out[0].Dense()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Float64s()[1]; got != 2.718281828459045 {
		t.Fatalf("the result changed after its input was freed: %v", got)
	}
	var nilValue *exec.Value
	if err := nilValue.Free(); err == nil {
		t.Fatal("Free of a nil Value did not fail")
	}
}
