package train

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Loop runs minibatch training: Epochs passes over N examples, each pass
// reshuffled and cut into batches of BatchSize.
type Loop struct {
	N, BatchSize, Epochs int
	Seed                 uint64    // shuffling; deterministic
	DropLast             bool      // skip a last batch smaller than BatchSize
	Out                  io.Writer // progress goes here; nil = os.Stderr
	Quiet                bool
}

// Run calls step for every minibatch (indices into the N examples, shuffled
// per epoch) and returns the per-epoch mean losses. A step error stops it and
// is returned wrapped with epoch/batch.
//
// An epoch's loss is the mean of the step losses weighted by batch length,
// so when step returns its batch's mean loss it is the mean over the
// examples seen. batch is only valid during the call: Run reuses its memory.
//
// On a terminal Out gets a progress bar with epoch, batch and running loss;
// elsewhere (a file, a pipe, a buffer) one line per epoch:
//
//	epoch 3/10: loss 0.1234 (1.2s)
//
// and nothing at all when Quiet.
func (l Loop) Run(step func(epoch int, batch []int) (loss float64, err error)) ([]float64, error) {
	if err := l.check(step); err != nil {
		return nil, err
	}
	out := l.Out
	if out == nil {
		out = os.Stderr
	}
	var p progress = &lines{w: out}
	switch {
	case l.Quiet:
		p = quiet{}
	case isTerminal(out):
		p = &bar{w: out}
	}
	batches := l.batches()
	r := rand.New(rand.NewPCG(l.Seed, 0x6c6f6f6d)) // "loom"
	perm := make([]int, l.N)
	losses := make([]float64, 0, l.Epochs)
	for e := range l.Epochs {
		for i := range perm {
			perm[i] = i
		}
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		start := time.Now()
		p.begin(e, l.Epochs, batches)
		sum, seen := 0.0, 0
		for b := range batches {
			lo, hi := b*l.BatchSize, min((b+1)*l.BatchSize, l.N)
			loss, err := step(e, perm[lo:hi:hi])
			if err != nil {
				p.abort()
				return losses, fmt.Errorf("train: epoch %d/%d, batch %d/%d: %w", e+1, l.Epochs, b+1, batches, err)
			}
			sum += loss * float64(hi-lo)
			seen += hi - lo
			p.batch(b+1, sum/float64(seen))
		}
		losses = append(losses, sum/float64(seen))
		p.end(losses[e], time.Since(start))
	}
	return losses, nil
}

func (l Loop) check(step func(int, []int) (float64, error)) error {
	switch {
	case step == nil:
		return errors.New("train: Loop.Run: nil step function")
	case l.N <= 0:
		return fmt.Errorf("train: Loop: N = %d; want at least one example", l.N)
	case l.BatchSize <= 0:
		return fmt.Errorf("train: Loop: BatchSize = %d; want > 0", l.BatchSize)
	case l.Epochs <= 0:
		return fmt.Errorf("train: Loop: Epochs = %d; want > 0", l.Epochs)
	case l.DropLast && l.N < l.BatchSize:
		return fmt.Errorf("train: Loop: DropLast with N = %d < BatchSize = %d leaves no batch", l.N, l.BatchSize)
	}
	return nil
}

// batches is the number of step calls per epoch.
func (l Loop) batches() int {
	if l.DropLast {
		return l.N / l.BatchSize
	}
	return (l.N + l.BatchSize - 1) / l.BatchSize
}

// isTerminal reports whether w is a terminal; only an *os.File can be.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress reports a run's advance.
type progress interface {
	begin(epoch, epochs, batches int)
	batch(done int, loss float64) // running mean loss of the epoch so far
	end(loss float64, took time.Duration)
	abort()
}

type quiet struct{}

func (quiet) begin(int, int, int)        {}
func (quiet) batch(int, float64)         {}
func (quiet) end(float64, time.Duration) {}
func (quiet) abort()                     {}

// lines prints one plain line per epoch, for logs and pipes.
type lines struct {
	w         io.Writer
	e, epochs int
}

func (p *lines) begin(e, n, _ int)  { p.e, p.epochs = e+1, n }
func (p *lines) batch(int, float64) {}
func (p *lines) end(loss float64, took time.Duration) {
	fmt.Fprintf(p.w, "epoch %d/%d: loss %.4g (%.1fs)\n", p.e, p.epochs, loss, took.Seconds())
}
func (p *lines) abort() {}

// bar draws a progress bar per epoch on a terminal.
type bar struct {
	w    io.Writer
	desc string
	b    *progressbar.ProgressBar
}

func (p *bar) begin(e, n, batches int) {
	p.desc = fmt.Sprintf("epoch %d/%d", e+1, n)
	p.b = progressbar.NewOptions(batches,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
}

func (p *bar) batch(done int, loss float64) {
	// Describe before Set: once Set fills the bar it is finished.
	p.b.Describe(fmt.Sprintf("%s loss %.4g", p.desc, loss))
	p.b.Set(done)
}

// end has little to do: the last batch's Set filled the bar, and a
// Describe after that would redraw below the completion newline.
func (p *bar) end(float64, time.Duration) {
	if !p.b.IsFinished() {
		p.b.Finish()
	}
}

func (p *bar) abort() {
	p.b.Exit()
	fmt.Fprintln(p.w)
}
