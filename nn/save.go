package nn

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/npy"
)

// ext is the file extension of one saved parameter: each is a plain NumPy
// .npy file, so numpy.load("ckpt/block0.attn.wq.npy") reads it in Python.
const ext = ".npy"

// Save writes each parameter of the view to dir/<name>.npy, creating dir.
// Each file is written beside its final name and renamed into place, so an
// interrupted Save never leaves a truncated parameter file. Files in dir that
// are not parameters of the view are left alone.
func (p *Params) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nn: Save: %w", err)
	}
	for _, name := range p.Names() {
		if err := writeFile(filepath.Join(dir, name+ext), p.s.vals[name]); err != nil {
			return fmt.Errorf("nn: Save: parameter %q: %w", name, err)
		}
	}
	return nil
}

func writeFile(path string, t *tensor.Dense) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = npy.Write(w, t)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Load reads dir/<name>.npy for every parameter of the view and copies the
// values in place (so optimiser state holding Values stays valid). It checks
// every file first and changes nothing unless all agree with the model: each
// file must exist and have the parameter's dtype and shape, and dir must hold
// no .npy file under the view's prefix that names no parameter (a checkpoint
// of a different model). The error lists every problem, by parameter name.
func (p *Params) Load(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("nn: Load: %w", err)
	}
	names := p.Names()
	var problems []error
	var missing, extra []string
	loaded := make([]*tensor.Dense, len(names))
	for k, name := range names {
		t, err := npy.Load(filepath.Join(dir, name+ext))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, name+ext)
		case err != nil:
			problems = append(problems, fmt.Errorf("parameter %q: %w", name, err))
		default:
			if err := match(name, p.s.vals[name], t); err != nil {
				problems = append(problems, fmt.Errorf("%w in %s", err, name+ext))
			}
			loaded[k] = t
		}
	}
	for _, e := range entries {
		f := e.Name()
		if e.IsDir() || !strings.HasSuffix(f, ext) || !strings.HasPrefix(f, p.prefix) {
			continue
		}
		if !slices.Contains(names, strings.TrimSuffix(f, ext)) {
			extra = append(extra, f)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Errorf("missing parameter files: %s", strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Errorf("files for parameters the model does not have: %s", strings.Join(extra, ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("nn: Load %s: nothing loaded: %w", dir, errors.Join(problems...))
	}
	for k, name := range names {
		cur := p.s.vals[name]
		dense.CopyElems(cur, 0, loaded[k], 0, cur.Size())
	}
	return nil
}
