package npy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// fixture is one entry of testdata/fixtures.json, written by gen.py from
// NumPy's own view of each file.
type fixture struct {
	DType   string            `json:"dtype"`
	Shape   []int             `json:"shape"`
	Fortran bool              `json:"fortran"`
	Values  []json.RawMessage `json:"values"`
}

func loadFixtures(t *testing.T) map[string]fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]fixture
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// flat returns a tensor's logical elements as float64s (bools 0/1); int64
// values are compared separately so nothing above 2^53 is rounded.
func flat(t *tensor.Dense) []float64 {
	var out []float64
	switch t.Dtype() {
	case tensor.Float32:
		for _, v := range logical(t, t.Float32s()) {
			out = append(out, float64(v))
		}
	case tensor.Float64:
		out = append(out, logical(t, t.Float64s())...)
	case tensor.Int64:
		for _, v := range logical(t, t.Int64s()) {
			out = append(out, float64(v))
		}
	case tensor.Int32:
		for _, v := range logical(t, t.Int32s()) {
			out = append(out, float64(v))
		}
	case tensor.Bool:
		for _, v := range logical(t, t.Bools()) {
			out = append(out, map[bool]float64{false: 0, true: 1}[v])
		}
	}
	return out
}

func TestFixtures(t *testing.T) {
	dts := map[string]tensor.Dtype{"f4": tensor.Float32, "f8": tensor.Float64, "i8": tensor.Int64, "i4": tensor.Int32, "b1": tensor.Bool}
	fx := loadFixtures(t)
	if len(fx) < 10 {
		t.Fatalf("only %d fixtures", len(fx))
	}
	for name, f := range fx {
		t.Run(name, func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Dtype() != dts[f.DType] {
				t.Fatalf("dtype %v, want %s", got.Dtype(), f.DType)
			}
			if !slices.Equal([]int(got.Shape()), f.Shape) {
				t.Fatalf("shape %v, want %v", got.Shape(), f.Shape)
			}
			if got.Dtype() == tensor.Int64 {
				vs := got.Int64s()
				for i, raw := range f.Values {
					var want int64
					if err := json.Unmarshal(raw, &want); err != nil {
						t.Fatal(err)
					}
					if vs[i] != want {
						t.Fatalf("[%d] = %d, want %d", i, vs[i], want)
					}
				}
				return
			}
			vs := flat(got)
			if len(vs) != len(f.Values) {
				t.Fatalf("%d values, want %d", len(vs), len(f.Values))
			}
			for i, raw := range f.Values {
				var want float64
				if f.DType == "b1" {
					var b bool
					if err := json.Unmarshal(raw, &b); err != nil {
						t.Fatal(err)
					}
					if b {
						want = 1
					}
				} else if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				if vs[i] != want {
					t.Fatalf("[%d] = %v, want %v", i, vs[i], want)
				}
			}
		})
	}
}

// random builds a tensor of dt and shape with random values.
func random(r *rand.Rand, dt tensor.Dtype, shape []int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var data any
	switch dt {
	case tensor.Float32:
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		data = d
	case tensor.Float64:
		d := make([]float64, n)
		for i := range d {
			d[i] = r.NormFloat64()
		}
		data = d
	case tensor.Int64:
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(r.Uint64())
		}
		data = d
	case tensor.Int32:
		d := make([]int32, n)
		for i := range d {
			d[i] = int32(r.Uint32())
		}
		data = d
	case tensor.Bool:
		d := make([]bool, n)
		for i := range d {
			d[i] = r.IntN(2) == 1
		}
		data = d
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{}, {0}, {0, 3}, {3, 0, 2}, {1}, {7}, {2, 3}, {2, 3, 4}, {1, 1, 1}, {70, 30}}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Bool} {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("%v%v", dt, sh), func(t *testing.T) {
				in := random(r, dt, sh)
				var buf bytes.Buffer
				if err := Write(&buf, in); err != nil {
					t.Fatal(err)
				}
				hlen := int(buf.Bytes()[8]) | int(buf.Bytes()[9])<<8
				if (10+hlen)%64 != 0 || buf.Bytes()[10+hlen-1] != '\n' {
					t.Fatalf("data starts at %d, not on a 64-byte boundary after a newline", 10+hlen)
				}
				out, err := Read(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if buf.Len() != 0 {
					t.Fatalf("%d bytes left unread", buf.Len())
				}
				same(t, out, in)
			})
		}
	}
}

// same checks dtype, shape and bit-identical logical values.
func same(t *testing.T, got, want *tensor.Dense) {
	t.Helper()
	if got.Dtype() != want.Dtype() {
		t.Fatalf("dtype %v, want %v", got.Dtype(), want.Dtype())
	}
	if !slices.Equal([]int(got.Shape()), []int(want.Shape())) {
		t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
	}
	var g, w any
	switch want.Dtype() {
	case tensor.Float32: // compared as bits: NaN payloads must survive too
		g, w = bits32(logical(got, got.Float32s())), bits32(logical(want, want.Float32s()))
	case tensor.Float64:
		g, w = bits64(logical(got, got.Float64s())), bits64(logical(want, want.Float64s()))
	case tensor.Int64:
		g, w = logical(got, got.Int64s()), logical(want, want.Int64s())
	case tensor.Int32:
		g, w = logical(got, got.Int32s()), logical(want, want.Int32s())
	case tensor.Bool:
		g, w = logical(got, got.Bools()), logical(want, want.Bools())
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("values differ:\n got %v\nwant %v", g, w)
	}
}

func bits32(xs []float32) []uint32 {
	out := make([]uint32, len(xs))
	for i, x := range xs {
		out[i] = math.Float32bits(x)
	}
	return out
}

func bits64(xs []float64) []uint64 {
	out := make([]uint64, len(xs))
	for i, x := range xs {
		out[i] = math.Float64bits(x)
	}
	return out
}

func TestViews(t *testing.T) {
	base := make([]float64, 12)
	for i := range base {
		base[i] = float64(i)
	}
	a := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(base))

	// A column slice: rows 0..2, columns 1..2.
	v, err := a.Slice(nil, tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for i := 0; i < 3; i++ {
		for j := 1; j < 3; j++ {
			want = append(want, base[i*4+j])
		}
	}
	check := func(name string, x *tensor.Dense, shape []int, want []float64) {
		t.Helper()
		var buf bytes.Buffer
		if err := Write(&buf, x); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal([]int(got.Shape()), shape) || !slices.Equal(got.Float64s(), want) {
			t.Fatalf("%s: got %v %v, want %v %v", name, got.Shape(), got.Float64s(), shape, want)
		}
	}
	check("slice", v.(*tensor.Dense), []int{3, 2}, want)

	// A transpose without materializing: logical (4, 3) with x[j][i] = a[i][j].
	tr := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(slices.Clone(base)))
	if err := tr.T(); err != nil {
		t.Fatal(err)
	}
	want = want[:0]
	for j := 0; j < 4; j++ {
		for i := 0; i < 3; i++ {
			want = append(want, base[i*4+j])
		}
	}
	check("transpose", tr, []int{4, 3}, want)

	// A strided row view of a 4×3 tensor: rows 0 and 2.
	b4 := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(slices.Clone(base)))
	rv, err := b4.Slice(tensor.S(0, 4, 2))
	if err != nil {
		t.Fatal(err)
	}
	want = append(slices.Clone(base[0:3]), base[6:9]...)
	check("stride", rv.(*tensor.Dense), []int{2, 3}, want)
}

func TestStream(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	xs := []*tensor.Dense{random(r, tensor.Float32, []int{2, 2}), random(r, tensor.Bool, []int{5}), random(r, tensor.Int64, nil)}
	var buf bytes.Buffer
	for _, x := range xs {
		if err := Write(&buf, x); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range xs {
		got, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, x)
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.npy")
	in := random(rand.New(rand.NewPCG(5, 6)), tensor.Float32, []int{300, 70})
	if err := Save(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	same(t, out, in)
	if _, err := Load(filepath.Join(t.TempDir(), "missing.npy")); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Fatalf("missing file: err = %v", err)
	}
	if err := Save(filepath.Join(t.TempDir(), "no", "dir.npy"), in); err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
}

// TestVersion2 makes a header too long for format 1.0 (rank in the
// thousands) and checks that Write switches to 2.0 and reads it back.
func TestVersion2(t *testing.T) {
	shape := make([]int, 22000)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = 2
	x := tensor.New(tensor.WithShape(shape...), tensor.WithBacking([]float64{1.5, -2}))
	var buf bytes.Buffer
	if err := Write(&buf, x); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if b[6] != 2 || b[7] != 0 {
		t.Fatalf("version %d.%d, want 2.0", b[6], b[7])
	}
	if hlen := int(b[8]) | int(b[9])<<8 | int(b[10])<<16 | int(b[11])<<24; (12+hlen)%64 != 0 {
		t.Fatalf("data at %d, not 64-aligned", 12+hlen)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, x)
}
