package exec_test

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/gemm"
	"github.com/loomtensor/loom/internal/optest"
)

func runner(opts ...exec.Option) optest.Runner {
	return func(outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
		p, err := exec.Compile(outs, opts...)
		if err != nil {
			return nil, err
		}
		return p.Run(feeds)
	}
}

func TestOpShapesReference(t *testing.T) { optest.Shapes(t, runner(exec.Reference())) }
func TestOpShapesCPU(t *testing.T)       { optest.Shapes(t, runner(exec.OnCPU())) }

func TestOpLoopsReference(t *testing.T) {
	optest.Loops(t, runner(exec.Reference()), runner(exec.Reference()))
}

func TestOpLoopsCPU(t *testing.T) {
	optest.Loops(t, runner(exec.OnCPU(), exec.Debug("")), runner(exec.Reference()))
}

// The same suite with loom's own GEMM, whether or not OpenBLAS is loaded.
func TestOpLoopsCPUPureGoGEMM(t *testing.T) {
	defer gemm.ForceGo(gemm.ForceGo(true))
	optest.Loops(t, runner(exec.OnCPU()), runner(exec.Reference()))
}
