package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"gorgonia.org/tensor"
)

// pythonWith returns a python3 that can import mod, or skips saying why.
// LOOM_PYTHON picks one explicitly; otherwise python3 on PATH is tried, then
// the system one (pyenv shims often lack numpy and torch).
func pythonWith(t *testing.T, mod string) string {
	t.Helper()
	cands := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("LOOM_PYTHON"); p != "" {
		cands = []string{p}
	}
	for _, c := range cands {
		if exec.Command(c, "-c", "import "+mod).Run() == nil {
			return c
		}
	}
	t.Skipf("no python3 that can import %s (tried %v); set LOOM_PYTHON to one", mod, cands)
	return ""
}

// torchScript runs torch.optim on the job read from stdin and prints the
// parameters after every step.
const torchScript = `
import json, sys
import torch

def run(job):
    dt = {"float32": torch.float32, "float64": torch.float64}[job["dtype"]]
    ps = [torch.tensor(x, dtype=dt).reshape(s).requires_grad_() for x, s in zip(job["init"], job["shapes"])]
    h = job["hyper"]
    kind = job["opt"]
    if kind == "sgd":
        opt = torch.optim.SGD(ps, lr=h["lr"], momentum=h["momentum"], weight_decay=h["wd"], nesterov=h["nesterov"])
    elif kind == "adam":
        opt = torch.optim.Adam(ps, lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])
    else:
        opt = torch.optim.AdamW(ps, lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])
    hist = []
    for gs in job["grads"]:
        for p, g, s in zip(ps, gs, job["shapes"]):
            p.grad = torch.tensor(g, dtype=dt).reshape(s)
        opt.step()
        hist.append([p.detach().reshape(-1).double().tolist() for p in ps])
    return hist

json.dump([run(job) for job in json.load(sys.stdin)], sys.stdout)
`

type torchJob struct {
	Opt    string         `json:"opt"`
	DType  string         `json:"dtype"`
	Hyper  map[string]any `json:"hyper"`
	Shapes [][]int        `json:"shapes"`
	Init   [][]float64    `json:"init"`
	Grads  [][][]float64  `json:"grads"`
}

// torchRun runs all jobs in one Python process (importing torch takes
// seconds) and returns each job's parameter history.
func torchRun(t *testing.T, py string, jobs []torchJob) [][][][]float64 {
	t.Helper()
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", torchScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("torch: %v\n%s", err, stderr.String())
	}
	var hists [][][][]float64
	if err := json.Unmarshal(out, &hists); err != nil {
		t.Fatal(err)
	}
	if len(hists) != len(jobs) {
		t.Fatalf("torch returned %d results for %d jobs", len(hists), len(jobs))
	}
	return hists
}

// TestAgainstTorch runs the same steps through torch.optim and through our
// optimisers and compares the parameters after every step.
func TestAgainstTorch(t *testing.T) {
	py := pythonWith(t, "torch")
	cases := []struct {
		opt   string
		hyper map[string]any
		make  func() Optimizer
	}{
		{"sgd", map[string]any{"lr": 0.1, "momentum": 0.0, "wd": 0.0, "nesterov": false}, func() Optimizer { return NewSGD(0.1, 0) }},
		{"sgd", map[string]any{"lr": 0.05, "momentum": 0.9, "wd": 0.01, "nesterov": false}, func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, WeightDecay: 0.01} }},
		{"sgd", map[string]any{"lr": 0.05, "momentum": 0.7, "wd": 0.02, "nesterov": true}, func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.7, WeightDecay: 0.02, Nesterov: true} }},
		{"adam", map[string]any{"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.0}, func() Optimizer { return NewAdam(0.01) }},
		{"adam", map[string]any{"lr": 0.03, "b1": 0.85, "b2": 0.98, "eps": 1e-6, "wd": 0.1}, func() Optimizer { return &Adam{LR: 0.03, Beta1: 0.85, Beta2: 0.98, Eps: 1e-6, WeightDecay: 0.1} }},
		{"adamw", map[string]any{"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.05}, func() Optimizer { return NewAdamW(0.01, 0.05) }},
	}
	p := newProblem(11, 8, []int{3, 4}, []int{}, []int{7}, []int{4, 16})
	dts := []tensor.Dtype{tensor.Float64, tensor.Float32}
	probs := map[tensor.Dtype]problem{tensor.Float64: p, tensor.Float32: p.rounded32()}
	var jobs []torchJob
	for _, c := range cases {
		for _, dt := range dts {
			// Both sides start from the same numbers: float32 runs get
			// inputs already rounded to float32.
			q := probs[dt]
			jobs = append(jobs, torchJob{Opt: c.opt, DType: dt.String(), Hyper: c.hyper, Shapes: q.shapes, Init: q.init, Grads: q.grads})
		}
	}
	want := torchRun(t, py, jobs)
	for k, c := range cases {
		for d, dt := range dts {
			t.Run(fmt.Sprintf("%d-%s/%v", k, c.opt, dt), func(t *testing.T) {
				tol := 1e-13
				if dt == tensor.Float32 {
					tol = 1e-6
				}
				near(t, probs[dt].run(t, c.make(), dt), want[k*len(dts)+d], tol)
			})
		}
	}
}

// rounded32 is p with every number rounded to float32.
func (p problem) rounded32() problem {
	r := func(xs []float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = float64(float32(x))
		}
		return out
	}
	q := problem{shapes: p.shapes}
	for _, x := range p.init {
		q.init = append(q.init, r(x))
	}
	for _, gs := range p.grads {
		var s [][]float64
		for _, g := range gs {
			s = append(s, r(g))
		}
		q.grads = append(q.grads, s)
	}
	return q
}
