package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read: it must return a tensor or an
// error, never panic; and whatever it accepts must survive Write and Read
// again unchanged.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(magic + "\x01\x00\x10\x00{'shape': ()}   "))
	f.Add(raw(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 5), }", nil))
	f.Add(raw(3, "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 1, 2), }", make([]byte, 16)))
	f.Add(raw(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 9223372036854775807, 9223372036854775807), }", nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, x); err != nil {
			t.Fatalf("Write of a tensor Read accepted: %v", err)
		}
		y, err := Read(&buf)
		if err != nil {
			t.Fatalf("Read of our own output: %v", err)
		}
		same(t, y, x)
	})
}
