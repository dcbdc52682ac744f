package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/exec"
	"github.com/loomtensor/loom/graph"
)

// A short version of -train: a smaller transformer on shorter sequences
// must learn to reverse them (loss from ln 6 ≈ 1.8 to below 0.1) and write
// its loss curve.
func TestShortTraining(t *testing.T) {
	c := trainConfig{Vocab: 6, Len: 5, Dim: 16, Heads: 2, Hidden: 32, Layers: 1,
		Batch: 16, MaxSteps: 600, LR: 1e-2, Target: 0.1, Seed: 2, Plot: filepath.Join(t.TempDir(), "loss.png")}
	losses, err := trainReverse(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps, loss %.3f → %.3f", len(losses), losses[0], losses[len(losses)-1])
	if got := smoothed(losses, 20); got >= c.Target {
		t.Fatalf("after %d steps the loss is %.3f, want < %.3g", len(losses), got, c.Target)
	}
	if st, err := os.Stat(c.Plot); err != nil || st.Size() < 1000 {
		t.Fatalf("no loss curve: %v", err)
	}
}

// The -resident loop (the one -cuda runs, here on the CPU): the whole step
// in one program, weights and Adam state carried as backend values. It
// must learn as the host loop does, start from the same loss, and hand
// back weights that predict reversals of sequences it has not seen.
func TestShortTrainingResident(t *testing.T) {
	c := trainConfig{Vocab: 6, Len: 5, Dim: 16, Heads: 2, Hidden: 32, Layers: 1,
		Batch: 16, MaxSteps: 600, LR: 1e-2, Target: 0.1, Seed: 2, Resident: "cpu"}
	losses, p, err := residentRun(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps, loss %.3f → %.3f", len(losses), losses[0], losses[len(losses)-1])
	if got := smoothed(losses, 20); got >= c.Target {
		t.Fatalf("after %d steps the loss is %.3f, want < %.3g", len(losses), got, c.Target)
	}
	c.Resident, c.MaxSteps = "", 5
	host, err := trainReverse(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for k, h := range host {
		if d := math.Abs(losses[k] - h); d > 1e-4*h {
			t.Errorf("step %d: loss %.7g, the host loop's %.7g", k, losses[k], h)
		}
	}

	// The weights read back, on a fresh batch.
	q, loss := reverseLoss(c)
	for _, name := range q.Names() {
		if err := q.Set(name, p.Value(name)); err != nil {
			t.Fatal(err)
		}
	}
	prog, err := exec.Compile([]*graph.Node{loss})
	if err != nil {
		t.Fatal(err)
	}
	c.Seed = 99
	src, dst, next := batches(c)
	next()
	res, err := prog.Run(q.Feeds(map[string]*tensor.Dense{"src": src, "dst": dst}))
	if err != nil {
		t.Fatal(err)
	}
	if l := res[0].Float32s()[0]; !(l < 2*float32(c.Target)) {
		t.Fatalf("the weights read back give loss %.3f on a new batch, want < %.3g", l, 2*c.Target)
	}
}

func TestResidentBadBackend(t *testing.T) {
	c := defaultTrainConfig()
	c.Resident = "tpu"
	if _, err := trainReverse(c, io.Discard); err == nil {
		t.Fatal("no error for backend tpu")
	}
}
