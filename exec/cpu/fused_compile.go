package cpu

import (
	"unsafe"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// compileExpr turns e into slice steps over registers: full operands are
// registers read in place, scalars and constants are scalar slots, and
// every other value gets a chunk buffer, reused as soon as its last reader
// has run (in place when that reader writes it). A Scale feeding an Offset,
// or an Offset feeding a Scale, becomes one pass (rounded as the two ops).
func compileExpr[T float](e *nodes.Expr) *fprog[T] {
	var z T
	p := &fprog[T]{n: dense.Size(e.Shape), shape: e.Shape, tail: e.Tail,
		chunk: chunkBytes / int(unsafe.Sizeof(z)), gather: make([]gatherP, len(e.Inputs))}
	code := e.Code
	uses := make([]int, len(code))
	lastUse := make([]int, len(code))
	for i, ins := range code {
		for _, a := range ins.Args {
			uses[a]++
			lastUse[a] = i
		}
	}
	final := len(code) - 1
	// folded[j] marks a Scale or Offset computed inside its only reader,
	// whose operand then lives until that reader runs.
	folded := make([]bool, len(code))
	for i, ins := range code {
		if ins.Kind != nodes.IUnary || (ins.Unary != nodes.UnScale && ins.Unary != nodes.UnOffset) {
			continue
		}
		j := ins.Args[0]
		in := code[j]
		if in.Kind == nodes.IUnary && uses[j] == 1 && in.Unary != ins.Unary && (in.Unary == nodes.UnScale || in.Unary == nodes.UnOffset) {
			folded[j] = true
			lastUse[in.Args[0]] = max(lastUse[in.Args[0]], i)
		}
	}
	// expFold[j] marks an affine map (a Scale, an Offset, or an Offset of a
	// folded Scale) computed inside the Exp reading it: one float32 pass,
	// vmath.ExpAffine32s, its argument rounded once.
	expFold := make([]bool, len(code))
	if _, is32 := any(z).(float32); is32 {
		for i, ins := range code {
			if ins.Kind != nodes.IUnary || ins.Unary != nodes.UnExp {
				continue
			}
			j := ins.Args[0]
			in := code[j]
			if in.Kind != nodes.IUnary || uses[j] != 1 || folded[j] || in.Unary != nodes.UnScale && in.Unary != nodes.UnOffset {
				continue
			}
			base := in.Args[0]
			if folded[base] {
				if in.Unary != nodes.UnOffset { // (x+b)·a: not a·x+b
					continue
				}
				base = code[base].Args[0]
			}
			expFold[j] = true
			lastUse[base] = max(lastUse[base], i)
		}
	}
	toOut := p.tail.Kind != nodes.TailReduce
	inputReg := map[int]int{}
	var free []int // temp registers free for reuse
	newTemp := func() int {
		if len(free) > 0 {
			r := free[len(free)-1]
			free = free[:len(free)-1]
			return r
		}
		p.regs = append(p.regs, reg{rTemp, p.temps})
		p.temps++
		return len(p.regs) - 1
	}
	outReg := -1
	dest := func(i int) int {
		if i == final && toOut {
			if outReg < 0 {
				p.regs = append(p.regs, reg{kind: rOut})
				outReg = len(p.regs) - 1
			}
			return outReg
		}
		return newTemp()
	}
	vals := make([]opnd, len(code))
	// release frees, after step i, the temps of values it reads last.
	release := func(i int, args []int) {
		for _, a := range args {
			if lastUse[a] == i && !vals[a].scalar() && p.regs[vals[a].reg].kind == rTemp {
				free = append(free, vals[a].reg)
				lastUse[a] = -1 // an operand read twice is freed once
			}
		}
	}
	// splat gives a scalar operand a register of its own.
	splat := func(o opnd) opnd {
		if !o.scalar() {
			return o
		}
		d := newTemp()
		p.steps = append(p.steps, fstep[T]{code: sSplat, dst: d, a: o})
		return opnd{reg: d}
	}
	for i, ins := range code {
		switch ins.Kind {
		case nodes.ILoad:
			in := e.Inputs[ins.Input]
			switch {
			case in.Full(e.Shape):
				r, ok := inputReg[ins.Input]
				if !ok {
					p.regs = append(p.regs, reg{rInput, ins.Input})
					r = len(p.regs) - 1
					inputReg[ins.Input] = r
				}
				vals[i] = opnd{reg: r}
			case len(in.Dims) == 0: // read once per run into a scalar slot
				p.scalIn = append(p.scalIn, [2]int{len(p.consts), ins.Input})
				p.consts = append(p.consts, 0)
				vals[i] = opnd{reg: -1, sc: len(p.consts) - 1}
			default:
				p.gather[ins.Input] = newGather(e.Shape, in)
				d := newTemp()
				p.steps = append(p.steps, fstep[T]{code: sGather, dst: d, input: ins.Input})
				vals[i] = opnd{reg: d}
			}
		case nodes.IConst:
			p.consts = append(p.consts, T(ins.C))
			vals[i] = opnd{reg: -1, sc: len(p.consts) - 1}
		case nodes.IUnary:
			if folded[i] || expFold[i] {
				continue
			}
			s := fstep[T]{code: sUnary, unary: ins.Unary, c: T(ins.C), a: vals[ins.Args[0]]}
			args := ins.Args
			if j := ins.Args[0]; expFold[j] {
				in := code[j]
				s.code, s.c, s.c2 = sExpAffine, 1, 0
				if in.Unary == nodes.UnScale {
					s.c = T(in.C)
				} else {
					s.c2 = T(in.C)
				}
				args = in.Args
				if k := in.Args[0]; folded[k] { // an Offset of a Scale
					s.c, args = T(code[k].C), code[k].Args
				}
				s.a = vals[args[0]]
			} else if j := ins.Args[0]; folded[j] {
				inner := code[j]
				s.a = vals[inner.Args[0]]
				if inner.Unary == nodes.UnScale { // x·c, then + C
					s.code, s.c, s.c2 = sAffine, T(inner.C), T(ins.C)
				} else { // x + c, then · C
					s.code, s.c, s.c2 = sOffScale, T(ins.C), T(inner.C)
				}
				args = inner.Args
			}
			s.a = splat(s.a)
			release(i, args)
			s.dst = dest(i)
			p.steps = append(p.steps, s)
			vals[i] = opnd{reg: s.dst}
		case nodes.IBinary:
			a, b := vals[ins.Args[0]], vals[ins.Args[1]]
			if a.scalar() && b.scalar() {
				a = splat(a)
			}
			release(i, ins.Args)
			d := dest(i)
			p.steps = append(p.steps, fstep[T]{code: sBinary, bin: ins.Binary, dst: d, a: a, b: b})
			vals[i] = opnd{reg: d}
		case nodes.IWhere:
			m, a, b := splat(vals[ins.Args[0]]), splat(vals[ins.Args[1]]), splat(vals[ins.Args[2]])
			release(i, ins.Args)
			d := dest(i)
			p.steps = append(p.steps, fstep[T]{code: sWhere, dst: d, m: m, a: a, b: b})
			vals[i] = opnd{reg: d}
		}
	}
	p.result = vals[final]
	if toOut && (p.result.scalar() || p.regs[p.result.reg].kind != rOut) {
		// The value is an operand itself: copy (or splat) it to the output.
		o := dest(final)
		code := sCopy
		if p.result.scalar() {
			code = sSplat
		}
		p.steps = append(p.steps, fstep[T]{code: code, dst: o, a: p.result})
		p.result = opnd{reg: o}
	}
	return p
}
