package train

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// record runs l and returns every batch it was handed, per epoch.
func record(t *testing.T, l Loop) [][][]int {
	t.Helper()
	var seen [][][]int
	_, err := l.Run(func(e int, b []int) (float64, error) {
		if e == len(seen) {
			seen = append(seen, nil)
		}
		seen[e] = append(seen[e], slices.Clone(b))
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

func TestLoopCoversEveryExample(t *testing.T) {
	for _, c := range []struct{ n, bs int }{{10, 3}, {12, 4}, {1, 5}, {7, 7}, {100, 1}} {
		l := Loop{N: c.n, BatchSize: c.bs, Epochs: 3, Seed: 7, Quiet: true}
		seen := record(t, l)
		if len(seen) != 3 {
			t.Fatalf("%+v: %d epochs", c, len(seen))
		}
		for e, batches := range seen {
			if len(batches) != (c.n+c.bs-1)/c.bs {
				t.Fatalf("%+v epoch %d: %d batches", c, e, len(batches))
			}
			var all []int
			for k, b := range batches {
				if len(b) != c.bs && k != len(batches)-1 || len(b) == 0 || len(b) > c.bs {
					t.Fatalf("%+v epoch %d: batch %d has %d indices", c, e, k, len(b))
				}
				all = append(all, b...)
			}
			slices.Sort(all)
			for i, x := range all {
				if x != i {
					t.Fatalf("%+v epoch %d: indices %v are not each of 0..%d once", c, e, all, c.n-1)
				}
			}
		}
	}
}

func TestLoopShuffleDeterministic(t *testing.T) {
	l := Loop{N: 50, BatchSize: 8, Epochs: 3, Seed: 42, Quiet: true}
	a, b := record(t, l), record(t, l)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same seed gave different orders")
	}
	if fmt.Sprint(a[0]) == fmt.Sprint(a[1]) {
		t.Fatal("epochs 1 and 2 have the same order: not reshuffled")
	}
	l.Seed = 43
	if fmt.Sprint(record(t, l)) == fmt.Sprint(a) {
		t.Fatal("different seeds gave the same order")
	}
	// Not the identity order (with 50 examples that is a 1/50! chance).
	if first := slices.Concat(a[0]...); slices.IsSorted(first) {
		t.Fatal("epoch 1 is not shuffled")
	}
}

func TestLoopDropLast(t *testing.T) {
	seen := record(t, Loop{N: 10, BatchSize: 3, Epochs: 2, DropLast: true, Quiet: true})
	for e, batches := range seen {
		if len(batches) != 3 {
			t.Fatalf("epoch %d: %d batches, want 3", e, len(batches))
		}
		seen := map[int]bool{}
		for _, b := range batches {
			if len(b) != 3 {
				t.Fatalf("epoch %d: batch of %d", e, len(b))
			}
			for _, x := range b {
				if seen[x] {
					t.Fatalf("epoch %d: %d twice", e, x)
				}
				seen[x] = true
			}
		}
	}
}

func TestLoopLosses(t *testing.T) {
	// Loss = epoch + mean index of the batch: the epoch mean, weighted by
	// batch length, is epoch + mean of 0..N-1 whatever the shuffle.
	l := Loop{N: 10, BatchSize: 4, Epochs: 3, Seed: 1, Quiet: true}
	losses, err := l.Run(func(e int, b []int) (float64, error) {
		s := 0
		for _, x := range b {
			s += x
		}
		return float64(e) + float64(s)/float64(len(b)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for e, got := range losses {
		if want := float64(e) + 4.5; abs(got-want) > 1e-12 {
			t.Fatalf("epoch %d loss %v, want %v", e, got, want)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

func TestLoopError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	losses, err := Loop{N: 10, BatchSize: 2, Epochs: 4, Quiet: true}.Run(func(e int, b []int) (float64, error) {
		calls++
		if e == 1 && calls == 8 {
			return 0, boom
		}
		return 1, nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "epoch 2/4, batch 3/5") {
		t.Fatalf("err = %v", err)
	}
	if calls != 8 || len(losses) != 1 {
		t.Fatalf("%d calls, %d losses: the loop went on after the error", calls, len(losses))
	}
}

func TestLoopBadConfig(t *testing.T) {
	ok := func(int, []int) (float64, error) { return 0, nil }
	for _, c := range []struct {
		l    Loop
		step func(int, []int) (float64, error)
		want string
	}{
		{Loop{N: 0, BatchSize: 1, Epochs: 1}, ok, "N = 0"},
		{Loop{N: 5, BatchSize: 0, Epochs: 1}, ok, "BatchSize = 0"},
		{Loop{N: 5, BatchSize: 2, Epochs: -1}, ok, "Epochs = -1"},
		{Loop{N: 5, BatchSize: 8, Epochs: 1, DropLast: true}, ok, "leaves no batch"},
		{Loop{N: 5, BatchSize: 2, Epochs: 1}, nil, "nil step"},
	} {
		if _, err := c.l.Run(c.step); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.l, err, c.want)
		}
	}
}

func TestLoopQuiet(t *testing.T) {
	var buf bytes.Buffer
	if _, err := (Loop{N: 5, BatchSize: 2, Epochs: 2, Out: &buf, Quiet: true}).Run(func(int, []int) (float64, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("quiet loop wrote %q", buf.String())
	}
}

func TestLoopLines(t *testing.T) {
	// A file is not a terminal either: the same plain lines go to it.
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for _, out := range []interface{ Write([]byte) (int, error) }{&buf, f} {
		_, err := Loop{N: 6, BatchSize: 4, Epochs: 3, Out: out}.Run(func(e int, b []int) (float64, error) {
			return 0.5 / float64(e+1), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	logged, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{buf.String(), string(logged)} {
		re := regexp.MustCompile(`^epoch 1/3: loss 0\.5 \(\d+\.\ds\)\nepoch 2/3: loss 0\.25 \(\d+\.\ds\)\nepoch 3/3: loss 0\.1667 \(\d+\.\ds\)\n$`)
		if !re.MatchString(text) {
			t.Fatalf("output %q does not match %v", text, re)
		}
	}
}

// TestLoopBar drives the terminal progress display into a buffer.
func TestLoopBar(t *testing.T) {
	var buf bytes.Buffer
	var p progress = &bar{w: &buf}
	p.begin(1, 3, 4)
	for b := 1; b <= 4; b++ {
		p.batch(b, 1/float64(b))
	}
	p.end(0.25, 0)
	out := buf.String()
	for _, want := range []string{"epoch 2/3", "loss 0.25", "4/4", "100%"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bar output %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("bar does not end its line: %q", out)
	}
}
