package main

import (
	"io"
	"testing"
)

// A short run of the example: 15 epochs on 3 × 300 points must learn the
// spirals well past chance (33%) and the loss must fall.
func TestShortTraining(t *testing.T) {
	c := config{Classes: 3, PerClass: 300, Hidden: 32, Batch: 64, Epochs: 15, LR: 0.02, Seed: 3, Quiet: true}
	res, err := run(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Losses[0], res.Losses[len(res.Losses)-1]
	t.Logf("loss %.3f → %.3f, train %.1f%%, test %.1f%%", first, last, 100*res.TrainAcc, 100*res.TestAcc)
	if !(last < first/2) {
		t.Errorf("loss fell only from %.3f to %.3f", first, last)
	}
	if res.TrainAcc < 0.85 || res.TestAcc < 0.85 {
		t.Errorf("accuracy train %.2f test %.2f, want ≥ 0.85", res.TrainAcc, res.TestAcc)
	}
}
