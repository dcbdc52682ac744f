// gen writes the repetitive assembly of this package: the constant table
// (consts_amd64.s, consts_amd64.h), the AVX2 kernels of the exact
// elementwise ops (arith_amd64.s, their Go declarations in arith_amd64.go,
// the stubs for other GOARCH in arith_other.go, the public functions in
// arith32.go and arith64.go) and the loops of the transcendental kernels
// around the macros of trans_amd64.h (trans_amd64.s). Twenty ops in two
// widths differ in two or three instructions each, so writing them by hand
// would mean forty copies of the same loop.
//
// Run it with `go generate ./internal/vmath` after editing; it writes into
// the current directory.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
)

func write(name, text string, gofmt bool) {
	out := []byte(text)
	if gofmt {
		var err error
		if out, err = format.Source(out); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
	}
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, out) {
		return
	}
	if err := os.WriteFile(name, out, 0o644); err != nil {
		panic(err)
	}
}

func main() {
	write("consts_amd64.s", constsS(), false)
	write("consts_amd64.h", constsH(), false)
	write("arith_amd64.s", arithS(), false)
	write("arith_amd64.go", declsGo(false), true)
	write("arith_other.go", declsGo(true), true)
	write("trans_amd64.s", transS(), false)
	write("reduce_amd64.s", reduceS(), false)
	write("arith32.go", wrappersGo(widths[0]), true)
	write("arith64.go", wrappersGo(widths[1]), true)
}
