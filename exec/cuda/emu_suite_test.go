package cuda

import (
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/optest"
	"github.com/loomtensor/loom/optimize"
)

// runner compiles outs as exec.Compile does (optimize, then plan on the
// backend) and runs them on an engine: the op suite's view of a backend.
// hostOps collects the ops that ran on the host.
func runner(e *engine, hostOps map[string]bool, mu *sync.Mutex) optest.Runner {
	return func(outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
		g := outs[0].Graph()
		if err := g.Err(); err != nil {
			return nil, err
		}
		g.Lock()
		lowered, err := optimize.Run(outs, optimize.Options{})
		g.Unlock()
		if err != nil {
			return nil, err
		}
		order := graph.Needed(lowered)
		env := map[*graph.Node]*tensor.Dense{}
		for _, in := range g.Inputs() {
			if t, ok := feeds[in.Op().(*graph.Input).Label]; ok {
				env[in] = t
			}
		}
		b := newBackend(e)
		if err := b.Prepare(order, lowered); err != nil {
			return nil, err
		}
		if hostOps != nil {
			mu.Lock()
			for _, h := range b.HostOps() {
				hostOps[h[strings.Index(h, " ")+1:]] = true
			}
			mu.Unlock()
		}
		if err := b.Run(order, lowered, env); err != nil {
			return nil, err
		}
		res := make([]*tensor.Dense, len(lowered))
		for k, o := range lowered {
			res[k] = env[o]
		}
		return res, nil
	}
}

// optimized is outs through the optimizer, as exec.Compile runs it.
func optimized(t testing.TB, outs ...*graph.Node) []*graph.Node {
	t.Helper()
	g := outs[0].Graph()
	g.Lock()
	lowered, err := optimize.Run(outs, optimize.Options{})
	g.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return lowered
}

func refRunner(outs []*graph.Node, feeds map[string]*tensor.Dense) ([]*tensor.Dense, error) {
	g := outs[0].Graph()
	env := map[*graph.Node]*tensor.Dense{}
	for _, in := range g.Inputs() {
		if t, ok := feeds[in.Op().(*graph.Input).Label]; ok {
			env[in] = t
		}
	}
	if err := graph.Interpret(graph.Needed(outs), env); err != nil {
		return nil, err
	}
	res := make([]*tensor.Dense, len(outs))
	for k, o := range outs {
		res[k] = env[o]
	}
	return res, nil
}

// The whole op suite, every op looped every way, on the emulated GPU
// against the reference interpreter. Ops without a device kernel run on
// the host (LOOM_CUDA_HOST=1) and are listed. It compiles a few hundred
// kernels with g++ the first time (cached afterwards), so it runs only
// with LOOM_CUDA_EMU=1.
func TestEmuOpSuite(t *testing.T) {
	if os.Getenv("LOOM_CUDA_EMU") != "1" {
		t.Skip("set LOOM_CUDA_EMU=1 to run the op suite on the emulated GPU (slow the first time: g++ compiles every kernel)")
	}
	em := newEmu(t)
	t.Setenv("LOOM_CUDA_HOST", "1")
	host := map[string]bool{}
	var mu sync.Mutex
	optest.Loops(t, runner(newEngine(em), host, &mu), refRunner)
	var names []string
	for h := range host {
		names = append(names, h)
	}
	sort.Strings(names)
	t.Logf("%d kernel launches; ops run on the host: %s", em.launches, strings.Join(names, ", "))
}
