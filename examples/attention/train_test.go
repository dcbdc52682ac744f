package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
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
