package npy

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkWrite and BenchmarkRead time a 4 MiB float32 array through
// memory, as np.save / np.load to an io.BytesIO would.
func BenchmarkWrite(b *testing.B) {
	x := random(rand.New(rand.NewPCG(1, 1)), tensor.Float32, []int{1024, 1024})
	var buf bytes.Buffer
	buf.Grow(5 << 20)
	b.SetBytes(4 << 20)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, random(rand.New(rand.NewPCG(1, 1)), tensor.Float32, []int{1024, 1024})); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
