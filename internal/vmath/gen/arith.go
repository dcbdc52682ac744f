package main

import (
	"fmt"
	"strings"
)

// Broadcast scalars live in Y15, Y14 (S, S2), set up once.
type op struct {
	name   string // Go name of the kernel, without the width and AVX2 suffix
	kind   string // un: (dst, x); bin: (dst, a, b); tern: (dst, a, b, c); scal: (dst, a; c); aff: (dst, x; a, b)
	regs   int
	consts []string // rows loaded into Y15, Y14, … before the loop
	body   []string
	doc    string
	pub    string // public Go name, without the width and s
	long   string // what the public function writes to dst[i]
}

var ops = []op{
	{name: "add", pub: "Add", long: "a[i]+b[i]", kind: "bin", regs: 2, body: []string{"VADDP B, A, A"}, doc: "a+b"},
	{name: "sub", pub: "Sub", long: "a[i]-b[i]", kind: "bin", regs: 2, body: []string{"VSUBP B, A, A"}, doc: "a-b"},
	{name: "mul", pub: "Mul", long: "a[i]·b[i]", kind: "bin", regs: 2, body: []string{"VMULP B, A, A"}, doc: "a·b"},
	{name: "div", pub: "Div", long: "a[i]/b[i]", kind: "bin", regs: 2, body: []string{"VDIVP B, A, A"}, doc: "a/b"},
	// VMAXP returns its first Go operand when the two are equal or either
	// is NaN; taking both orders and combining fixes max(±0) (AND gives
	// +0, OR in min gives -0), then the unordered mask turns NaNs into NaN.
	{name: "max", pub: "Max", long: "max(a[i], b[i]) with the rules of Go's builtin max: NaN if either is NaN (even +Inf, where math.Max gives +Inf), and +0 for max(-0, +0)", kind: "bin", regs: 4, body: maxBody("VMAXP", "VANDP", "B"), doc: "max(a, b), NaN if either is"},
	{name: "min", pub: "Min", long: "min(a[i], b[i]) with the rules of Go's builtin min: NaN if either is NaN (even -Inf, where math.Min gives -Inf), and -0 for min(-0, +0)", kind: "bin", regs: 4, body: maxBody("VMINP", "VORP", "B"), doc: "min(a, b), NaN if either is"},
	{name: "addC", pub: "AddC", long: "a[i]+c", kind: "scal", regs: 1, body: []string{"VADDP S, A, A"}, doc: "a+c"},
	{name: "subC", pub: "SubC", long: "a[i]-c", kind: "scal", regs: 1, body: []string{"VSUBP S, A, A"}, doc: "a-c"},
	{name: "rsubC", pub: "RSubC", long: "c-a[i]", kind: "scal", regs: 1, body: []string{"VSUBP A, S, A"}, doc: "c-a"},
	{name: "mulC", pub: "MulC", long: "a[i]·c", kind: "scal", regs: 1, body: []string{"VMULP S, A, A"}, doc: "a·c"},
	{name: "divC", pub: "DivC", long: "a[i]/c (a true division, not a product with 1/c)", kind: "scal", regs: 1, body: []string{"VDIVP S, A, A"}, doc: "a/c"},
	{name: "rdivC", pub: "RDivC", long: "c/a[i]", kind: "scal", regs: 1, body: []string{"VDIVP A, S, A"}, doc: "c/a"},
	{name: "maxC", pub: "MaxC", long: "max(a[i], c) with the rules of Go's builtin max (see Max32s)", kind: "scal", regs: 3, body: maxBody("VMAXP", "VANDP", "S"), doc: "max(a, c)"},
	{name: "minC", pub: "MinC", long: "min(a[i], c) with the rules of Go's builtin min (see Min32s)", kind: "scal", regs: 3, body: maxBody("VMINP", "VORP", "S"), doc: "min(a, c)"},
	{name: "neg", pub: "Neg", long: "-x[i]: the sign bit flipped, so -0 for 0 and NaN for NaN", kind: "un", regs: 1, consts: []string{"SIGN"}, body: []string{"VXORP S, A, A"}, doc: "-x"},
	{name: "abs", pub: "Abs", long: "|x[i]|: the sign bit cleared", kind: "un", regs: 1, consts: []string{"ABS"}, body: []string{"VANDP S, A, A"}, doc: "|x|"},
	// max(0, x) returns x when x is NaN or ±0; adding +0 makes -0 into +0.
	{name: "relu", pub: "Relu", long: "max(x[i], 0): NaN for NaN, +0 for -0 (as Go's builtin max)", kind: "un", regs: 2, consts: []string{"ZERO"}, body: []string{"VMAXP A, S, B", "VADDP S, B, A"}, doc: "max(x, 0)"},
	{name: "sqrt", pub: "Sqrt", long: "√x[i] correctly rounded: -0 for -0, NaN for x < 0", kind: "un", regs: 1, body: []string{"VSQRTP A, A"}, doc: "√x"},
	{name: "affine", pub: "Affine", long: "a·x[i]+b rounded once, as math.FMA does (a fused multiply-add: the last bit can differ from a*x[i]+b rounded twice)", kind: "aff", regs: 1, body: []string{"VFMADD213P S2, S, A"}, doc: "a·x+b, one rounding"},
	{name: "fma", pub: "FMA", long: "a[i]·b[i]+c[i] rounded once, as math.FMA does", kind: "tern", regs: 3, body: []string{"VFMADD213P C, B, A"}, doc: "a·b+c, one rounding"},
}

// maxBody is max or min (m) of A and other with Go's rules for ±0 and NaN;
// comb is VANDP for max and VORP for min.
func maxBody(m, comb, other string) []string {
	return []string{
		"VCMPP $3, " + other + ", A, T", // unordered
		m + " A, " + other + ", U",      // A when equal or NaN
		m + " " + other + ", A, A",      // other when equal or NaN
		comb + " U, A, A",
		"VORP T, A, A",
	}
}

// width is float32 or float64 code: suffix of the packed instructions,
// element size, lanes per vector, Go type.
type width struct {
	bits  int
	sfx   string
	size  int
	lanes int
	gotyp string
	bcast string
}

var widths = []width{
	{32, "S", 4, 8, "float32", "VBROADCASTSS"},
	{64, "D", 8, 4, "float64", "VBROADCASTSD"},
}

const unroll = 4

// args returns the Go parameter list and the frame layout of a kernel:
// pointer inputs (registers), scalars (frame offsets).
func (o op) params(w width) (sig string, ptrs []string, scalars []string, frame int) {
	switch o.kind {
	case "un":
		ptrs = []string{"x"}
	case "bin":
		ptrs = []string{"a", "b"}
	case "tern":
		ptrs = []string{"a", "b", "c"}
	case "scal":
		ptrs, scalars = []string{"a"}, []string{"c"}
	case "aff":
		ptrs, scalars = []string{"x"}, []string{"a", "b"}
	}
	sig = "dst"
	for _, p := range ptrs {
		sig += ", " + p
	}
	sig += " *" + w.gotyp + ", n int"
	if len(scalars) > 0 {
		sig += ", " + strings.Join(scalars, ", ") + " " + w.gotyp
	}
	frame = 8*(2+len(ptrs)) + w.size*len(scalars)
	return
}

func (o op) goName(w width) string { return fmt.Sprintf("%s%dAVX2", o.name, w.bits) }

var ptrRegs = []string{"SI", "DX", "R8"}

func arithS() string {
	var b strings.Builder
	b.WriteString(`// Code generated by gen; DO NOT EDIT.

//go:build amd64

#include "textflag.h"
#include "consts_amd64.h"

// Elementwise kernels: n elements, any n ≥ 0. The main loop does 4 vectors
// an iteration, then single vectors, then the last 1…lanes-1 elements with
// masked loads and stores (masked-off lanes load 0 and are not written, so
// nothing outside the slices is touched). dst may be an input exactly: every
// vector is loaded before it is stored.
`)
	for _, w := range widths {
		for _, o := range ops {
			kernel(&b, o, w)
		}
	}
	return b.String()
}

func kernel(b *strings.Builder, o op, w width) {
	sig, ptrs, scalars, frame := o.params(w)
	vec := 32
	step := unroll * w.lanes
	p := func(format string, a ...any) { fmt.Fprintf(b, "\t"+format+"\n", a...) }
	fmt.Fprintf(b, "\n// func %s(%s)\n// dst[i] = %s\n", o.goName(w), sig, o.doc)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", o.goName(w), frame)
	p("MOVQ dst+0(FP), DI")
	for i, q := range ptrs {
		p("MOVQ %s+%d(FP), %s", q, 8*(1+i), ptrRegs[i])
	}
	nOff := 8 * (1 + len(ptrs))
	p("MOVQ n+%d(FP), CX", nOff)
	special := map[string]string{"S": "Y15", "S2": "Y14"}
	for i, s := range scalars {
		p("%s %s+%d(FP), %s", w.bcast, s, nOff+8+w.size*i, special[[]string{"S", "S2"}[i]])
	}
	for i, c := range o.consts {
		if w.bits == 64 && c != "ZERO" {
			c += "64"
		}
		p("VMOVUPS K_%s, %s", c, special[[]string{"S", "S2"}[i]])
	}
	if unroll*o.regs > 16-len(scalars)-len(o.consts) {
		panic(o.name + ": too many registers")
	}
	// one vector k at byte offset off; load/store are the instructions.
	vector := func(k, off int, masked bool) {
		reg := func(j int) string { return fmt.Sprintf("Y%d", k*o.regs+j) }
		names := map[string]string{"A": reg(0), "B": reg(1), "C": reg(2), "T": reg(1), "U": reg(2)}
		if o.kind == "bin" || o.kind == "tern" { // B (and C) hold inputs
			names["T"], names["U"] = reg(2), reg(3)
		} else if o.regs >= 2 {
			names["T"], names["U"] = reg(1), reg(2)
		}
		for k, v := range special {
			names[k] = v
		}
		ins := []string{"A", "B", "C"}
		for i, q := range ptrs {
			if masked {
				p("VMASKMOVP%s (%s), Y13, %s", w.sfx, ptrRegs[i], names[ins[i]])
			} else {
				p("VMOVUP%s %d(%s), %s", w.sfx, off, ptrRegs[i], names[ins[i]])
			}
			_ = q
		}
		for _, line := range o.body {
			line = strings.Replace(line, "VFMADD213P ", "VFMADD213P"+w.sfx+" ", 1)
			f := strings.Fields(strings.ReplaceAll(line, ",", " "))
			if !strings.HasPrefix(f[0], "VFMADD") {
				f[0] += w.sfx
			}
			for j := 1; j < len(f); j++ {
				if r, ok := names[f[j]]; ok {
					f[j] = r
				}
			}
			p("%s %s", f[0], strings.Join(f[1:], ", "))
		}
		if masked {
			p("VMASKMOVP%s %s, Y13, (DI)", w.sfx, names["A"])
		} else {
			p("VMOVUP%s %s, %d(DI)", w.sfx, names["A"], off)
		}
	}
	advance := func(bytes int) {
		for i := range ptrs {
			p("ADDQ $%d, %s", bytes, ptrRegs[i])
		}
		p("ADDQ $%d, DI", bytes)
	}
	p("CMPQ CX, $%d", step)
	p("JB   one")
	fmt.Fprintf(b, "\nloop:\n")
	for k := 0; k < unroll; k++ {
		vector(k, k*vec, false)
	}
	advance(unroll * vec)
	p("SUBQ $%d, CX", step)
	p("CMPQ CX, $%d", step)
	p("JAE  loop")
	fmt.Fprintf(b, "\none:\n")
	p("CMPQ CX, $%d", w.lanes)
	p("JB   tail")
	vector(0, 0, false)
	advance(vec)
	p("SUBQ $%d, CX", w.lanes)
	p("JMP  one")
	fmt.Fprintf(b, "\ntail:\n")
	p("TESTQ CX, CX")
	p("JE    done")
	// The mask for r elements starts (8 - r) words into MASK0; in bytes
	// 32 - r·size.
	p("LEAQ K_MASK1, AX")
	p("NEGQ CX")
	p("VMOVUPS (AX)(CX*%d), Y13", w.size)
	vector(0, 0, true)
	fmt.Fprintf(b, "\ndone:\n")
	p("VZEROUPPER")
	p("RET")
}

func declsGo(other bool) string {
	var b strings.Builder
	b.WriteString("// Code generated by gen; DO NOT EDIT.\n\n")
	if other {
		b.WriteString("//go:build !amd64\n\npackage vmath\n\n// Without the assembly the Go path is always used; these are never called.\n\n")
	} else {
		b.WriteString("//go:build amd64\n\npackage vmath\n\n// The kernels of arith_amd64.s: n elements at dst and the inputs.\n\n")
	}
	for _, w := range widths {
		for _, o := range ops {
			sig, _, _, _ := o.params(w)
			if other {
				fmt.Fprintf(&b, "func %s(%s) { panic(\"vmath: no AVX2\") }\n", o.goName(w), sig)
			} else {
				fmt.Fprintf(&b, "//go:noescape\nfunc %s(%s)\n\n", o.goName(w), sig)
			}
		}
	}
	return b.String()
}

// wrappersGo is the public API of the ops in one width: check the
// lengths, then the kernel or the Go loop (arith_go.go).
func wrappersGo(w width) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Code generated by gen; DO NOT EDIT.\n\npackage vmath\n\n")
	for _, o := range ops {
		var params, check, args, goArgs string
		switch o.kind {
		case "bin":
			params, check, args, goArgs = "dst, a, b []T", "same3(dst, a, b)", "ptr(dst), ptr(a), ptr(b), n", "dst, a, b"
		case "tern":
			params, check, args, goArgs = "dst, a, b, c []T", "same4(dst, a, b, c)", "ptr(dst), ptr(a), ptr(b), ptr(c), n", "dst, a, b, c"
		case "scal":
			params, check, args, goArgs = "dst, a []T, c T", "same2(dst, a)", "ptr(dst), ptr(a), n, c", "dst, a, c"
		case "un":
			params, check, args, goArgs = "dst, x []T", "same2(dst, x)", "ptr(dst), ptr(x), n", "dst, x"
		case "aff":
			params, check, args, goArgs = "dst, x []T, a, b T", "same2(dst, x)", "ptr(dst), ptr(x), n, a, b", "dst, x, a, b"
		}
		params = strings.ReplaceAll(params, "T", w.gotyp)
		name := fmt.Sprintf("%s%ds", o.pub, w.bits)
		long := strings.ReplaceAll(o.long, "32s", fmt.Sprint(w.bits)+"s")
		fmt.Fprintf(&b, "// %s writes %s to dst[i].\nfunc %s(%s) {\n\tn := %s\n", name, long, name, params, check)
		fmt.Fprintf(&b, "\tif useAVX2 {\n\t\t%s(%s)\n\t\treturn\n\t}\n\t%sGo(%s)\n}\n\n", o.goName(w), args, o.name, goArgs)
	}
	return b.String()
}

// A trans is a kernel of trans_amd64.s: the macro of trans_amd64.h that
