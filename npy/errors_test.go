package npy

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// raw builds a file from a header string and data bytes.
func raw(version byte, h string, data []byte) []byte {
	b := []byte(magic)
	b = append(b, version, 0)
	if version == 1 {
		b = append(b, byte(len(h)), byte(len(h)>>8))
	} else {
		b = append(b, byte(len(h)), byte(len(h)>>8), byte(len(h)>>16), byte(len(h)>>24))
	}
	return append(append(b, h...), data...)
}

func TestReadErrors(t *testing.T) {
	f8 := func(shape string) string {
		return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }\n"
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"short", []byte("\x93NUM"), "bad magic"},
		{"magic", []byte("PK\x03\x04zipfile..."), "bad magic"},
		{"version", raw(4, f8("(1,)"), make([]byte, 8)), "version 4.0"},
		{"hlen", []byte(magic + "\x01\x00\x10"), "truncated header length"},
		{"hlen2", []byte(magic + "\x02\x00\xff\xff\xff\x7f"), "exceeds"},
		{"header short", append([]byte(magic+"\x01\x00\x40\x00"), "{'descr'"...), "truncated header: expected 64 bytes, got 8"},
		{"complex", raw(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", nil), "unsupported dtype '<c8'"},
		{"float16", raw(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", nil), "unsupported dtype '<f2'"},
		{"native", raw(1, "{'descr': '=f8', 'fortran_order': False, 'shape': (1,), }", nil), "unsupported dtype '=f8'"},
		{"pipe f8", raw(1, "{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }", nil), "unsupported dtype '|f8'"},
		{"structured", raw(1, "{'descr': [('a', '<f4'), ('b', '<i8')], 'fortran_order': False, 'shape': (1,), }", nil), "structured"},
		{"truncated", raw(1, f8("(3,)"), make([]byte, 8)), "truncated data: expected 24 bytes, got 8"},
		{"huge", raw(1, f8("(1000000000000,)"), make([]byte, 100)), "truncated data: expected 8000000000000 bytes, got 100"},
		{"overflow", raw(1, f8("(4294967296, 4294967296)"), nil), "too many elements"},
		{"overflow bytes", raw(1, f8("(2305843009213693952,)"), nil), "too large"},
		{"negative", raw(1, f8("(-1,)"), nil), "bad dim -1"},
		{"shape list", raw(1, f8("[2]"), nil), "want a tuple"},
		{"shape str", raw(1, f8("(2, 'a')"), nil), "bad dim 'a'"},
		{"fortran int", raw(1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", nil), "fortran_order is 0"},
		{"missing key", raw(1, "{'descr': '<f8', 'shape': (1,), }", nil), "want keys"},
		{"extra key", raw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", nil), "unexpected key \"x\""},
		{"dup key", raw(1, "{'descr': '<f8', 'descr': '<f8', 'shape': (1,)}", nil), "duplicate key"},
		{"not dict", raw(1, "(1, 2)", nil), "not a dict"},
		{"garbage", raw(1, "{'descr': <f8}", nil), "header parse error"},
		{"unterminated", raw(1, "{'descr': '<f8", nil), "unterminated string"},
		{"trailing", raw(1, f8("(1,)")+"}", make([]byte, 8)), "after the dict"},
		{"deep", raw(1, "{'shape': "+strings.Repeat("(", 100), nil), "nested too deeply"},
		{"open", raw(1, "{'descr': '<f8', ", nil), "unexpected end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.in))
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "npy: ") {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestReadLenient covers header spellings NumPy and Python 2 produced.
func TestReadLenient(t *testing.T) {
	for _, h := range []string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }",      // Python 2 long
		"{\"descr\": \"<f8\", \"shape\": (2,), \"fortran_order\": False}", // reordered, double quotes
		"{'descr':'<f8','fortran_order':False,'shape':(2,)}\n",            // no spaces
	} {
		got, err := Read(bytes.NewReader(raw(1, h, make([]byte, 16))))
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if !slices.Equal([]int(got.Shape()), []int{2}) {
			t.Fatalf("%s: shape %v", h, got.Shape())
		}
	}
	// NumPy reads any nonzero byte as True.
	got, err := Read(bytes.NewReader(raw(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 1, 7})))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Bools(), []bool{false, true, true}) {
		t.Fatalf("bools %v", got.Bools())
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after < len(p) {
		return 0, fmt.Errorf("disk full")
	}
	w.after -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil); err == nil || !strings.Contains(err.Error(), "nil tensor") {
		t.Fatalf("nil: %v", err)
	}
	u8 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]uint8{1, 2}))
	if err := Write(&bytes.Buffer{}, u8); err == nil || !strings.Contains(err.Error(), "uint8") {
		t.Fatalf("uint8: %v", err)
	}
	x := random(rand.New(rand.NewPCG(1, 1)), tensor.Float64, []int{20000})
	for _, after := range []int{0, 200, chunk + 500} {
		if err := Write(&failWriter{after: after}, x); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("failing writer after %d bytes: %v", after, err)
		}
	}
	// NaN and infinities are bit patterns like any other.
	sp := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}))
	var buf bytes.Buffer
	if err := Write(&buf, sp); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Float64s(); !math.IsNaN(v[0]) || !math.IsInf(v[1], 1) || !math.IsInf(v[2], -1) {
		t.Fatalf("specials %v", v)
	}
}
