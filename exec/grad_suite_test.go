package exec_test

import (
	"testing"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/internal/optest"
)

// The gradient of every op of the suite against central finite differences,
// at top level and through loops; the CPU run also checks that gradient
// graphs lower and optimize correctly.
func TestOpGradsReference(t *testing.T) {
	optest.Grads(t, runner(exec.Reference()), runner(exec.Reference()))
}

func TestOpGradsCPU(t *testing.T) {
	optest.Grads(t, runner(exec.OnCPU()), runner(exec.Reference()))
}
