package cpu

import (
	"sync"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// A fused kernel runs its Expr over chunks of the output small enough that
// every intermediate stays in L1: each chunk's instructions run one after
// another as tight slice loops (vec.go), full-shape operands are read in
// place, broadcast ones gathered into a chunk buffer, and the last
// instruction writes the output (or feeds the tail) directly.

// chunkBytes bounds one chunk buffer: a few of them fit L1 (32–48 KiB).
const chunkBytes = 8 << 10

// An opnd is an instruction's operand: a register, or a scalar slot.
type opnd struct{ reg, sc int }

func (o opnd) scalar() bool { return o.reg < 0 }

// step codes.
const (
	sUnary     = iota // d = unary(a)
	sAffine           // d = a·c + c2
	sOffScale         // d = (a + c2)·c
	sBinary           // d = binary(a, b)
	sWhere            // d = m ? a : b
	sGather           // d = operand input, broadcast, for this chunk
	sCopy             // d = a
	sSplat            // d = the scalar a
	sExpAffine        // d = e^(a·c + c2), float32
)

type fstep[T float] struct {
	code  int
	unary nodes.UnaryKind
	bin   nodes.BinaryKind
	c, c2 T
	dst   int
	a, b  opnd
	m     opnd
	input int
}

// Register kinds: chunk buffers, full operands read in place, the output.
const (
	rTemp = iota
	rInput
	rOut
)

type reg struct{ kind, input int }

// fprog is an Expr compiled for one dtype; immutable, shared by runs.
type fprog[T float] struct {
	n      int // elements of the expression's shape
	shape  []int
	chunk  int
	regs   []reg
	temps  int
	steps  []fstep[T]
	consts []T       // scalar slots: constants, and zeros for scalar operands
	scalIn [][2]int  // {slot, operand}: the slot holds that rank-0 operand
	gather []gatherP // per operand (nil when not gathered)
	result opnd      // the final value
	tail   nodes.Tail
}

// frun is one run's bindings.
type frun[T float] struct {
	in  [][]T
	sc  []T
	out []T
}

// progs holds the compiled expressions of planned programs (a plan adds
// its own and removes them when it is collected); others compile per call.
var progs sync.Map // *nodes.Expr -> *fprog[T]

func progFor[T float](e *nodes.Expr) *fprog[T] {
	if p, ok := progs.Load(e); ok {
		if q, ok := p.(*fprog[T]); ok {
			return q
		}
	}
	return compileExpr[T](e)
}

// bind reads args (contiguous, of dtype T) for one run writing out.
func (p *fprog[T]) bind(args []*tensor.Dense, out []T) *frun[T] {
	r := &frun[T]{in: make([][]T, len(args)), sc: append([]T(nil), p.consts...), out: out}
	for k, a := range args {
		r.in[k] = dense.Raw(a).([]T)
	}
	for _, s := range p.scalIn {
		r.sc[s[0]] = r.in[s[1]][0]
	}
	return r
}

var tempPool = [2]sync.Pool{}

// temps returns a chunk buffer for every temp register (and a splat).
func (p *fprog[T]) tempBuf() (*[]T, [][]T) {
	var z T
	pool := &tempPool[0]
	if _, ok := any(z).(float64); ok {
		pool = &tempPool[1]
	}
	need := (p.temps + 1) * p.chunk
	bp, _ := pool.Get().(*[]T)
	if bp == nil || cap(*bp) < need {
		b := make([]T, need)
		bp = &b
	}
	bufs := make([][]T, p.temps+1)
	for k := range bufs {
		bufs[k] = (*bp)[k*p.chunk : (k+1)*p.chunk]
	}
	return bp, bufs
}

func (p *fprog[T]) putTemp(bp *[]T) {
	var z T
	if _, ok := any(z).(float64); ok {
		tempPool[1].Put(bp)
		return
	}
	tempPool[0].Put(bp)
}

// evalRange computes the expression's values for elements [lo, hi),
// chunk by chunk: into r.out[lo:hi] when sink is nil, else handing each
// chunk's values to sink (they live only until it returns; sink may
// overwrite them).
func (p *fprog[T]) evalRange(r *frun[T], lo, hi int, bufs [][]T, sink func(lo int, v []T)) {
	view := make([][]T, len(p.regs))
	splat := bufs[p.temps]
	for c := lo; c < hi; c += p.chunk {
		e := min(hi, c+p.chunk)
		n := e - c
		for k, g := range p.regs {
			switch g.kind {
			case rTemp:
				view[k] = bufs[g.input][:n]
			case rInput:
				view[k] = r.in[g.input][c:e]
			case rOut:
				view[k] = r.out[c:e]
			}
		}
		for i := range p.steps {
			p.exec(&p.steps[i], r, view, splat[:n], c)
		}
		if sink != nil {
			if p.result.scalar() {
				v := bufs[0][:n]
				for i := range v {
					v[i] = r.sc[p.result.sc]
				}
				sink(c, v)
			} else {
				sink(c, view[p.result.reg])
			}
		}
	}
}

func (p *fprog[T]) exec(s *fstep[T], r *frun[T], view [][]T, splat []T, lo int) {
	d := view[s.dst]
	switch s.code {
	case sUnary:
		vUnary(s.unary, s.c, d, view[s.a.reg])
	case sAffine:
		vAffine(d, view[s.a.reg], s.c, s.c2)
	case sOffScale:
		vOffScale(d, view[s.a.reg], s.c, s.c2)
	case sExpAffine:
		vExpAffine(d, view[s.a.reg], s.c, s.c2)
	case sBinary:
		switch {
		case s.b.scalar():
			vBinaryC(s.bin, d, view[s.a.reg], r.sc[s.b.sc], false, splat)
		case s.a.scalar():
			vBinaryC(s.bin, d, view[s.b.reg], r.sc[s.a.sc], true, splat)
		default:
			vBinary(s.bin, d, view[s.a.reg], view[s.b.reg])
		}
	case sWhere:
		vWhere(d, view[s.m.reg], view[s.a.reg], view[s.b.reg])
	case sGather:
		gatherFill(&p.gather[s.input], d, r.in[s.input], lo)
	case sSplat:
		v := r.sc[s.a.sc]
		for i := range d {
			d[i] = v
		}
	case sCopy:
		if len(d) > 0 && &d[0] != &view[s.a.reg][0] {
			copy(d, view[s.a.reg])
		}
	}
}
