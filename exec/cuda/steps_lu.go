package cuda

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// Solve and Inv beyond maxSolveN unknowns run on cuBLAS's batched LU, in
// float64 for both dtypes, as the generated kernels and the CPU backend
// compute every system: one notion of "singular" (a pivot no larger than
// ε·‖A‖_F, checked by luCheck after getrf) whatever the size or dtype.
//
// cuBLAS is column-major, and a row-major A read column-major is Aᵀ. So
// getrf factors Aᵀ = Pᵀ·L·U; getrs with op = T solves (Aᵀ)ᵀ·X = A·X = B; and
// getri writes (Aᵀ)⁻¹ = (A⁻¹)ᵀ column-major, which read row-major is A⁻¹.
// Right-hand sides are column-major n×k per system, so a matrix b is
// transposed on the way in and the solution on the way out (both copies
// are needed anyway: getrs overwrites B, and float32 converts).

// luPtrs is the pointer-array kernel (gemm's: three arrays of batch
// pointers, base plus byte offset of each batch index) over one dim of
// batch matrices nb and nc bytes apart in the first two arrays.
func luPtrs(batch, nb, nc int) gemmPtrs {
	return gemmPtrs{shape: []int{batch}, as: []int{nb}, bs: []int{nc}, cs: []int{0}}
}

// luKernels are the generated kernels an LU step launches, by name.
type luKernels map[string]string

func (k luKernels) add(name string, g interface{ Source() (string, error) }) error {
	src, err := g.Source()
	if err != nil {
		return err
	}
	k[name] = src
	return nil
}

func (k luKernels) srcs() []kernelSrc {
	var out []kernelSrc
	for _, name := range []string{"lu_in", "ptrs", "ptrs2", "lu_check", "b_in", "piv", "x_out"} {
		if src, ok := k[name]; ok {
			out = append(out, kernelSrc{src, kernelName(src)})
		}
	}
	return out
}

// castExpr reads a value of dtype from with element strides st over shape
// and converts it to dtype to: a strided (transposing, repeating) copy.
func castExpr(shape, st []int, from, to tensor.Dtype) *Expr {
	e := &Expr{Shape: shape, In: []Operand{{DType: from, Stride: st}}, Code: []Instr{{Kind: ILoad, DType: from}}}
	if from != to {
		e.Code = append(e.Code, Instr{Kind: ICast, Args: []int{0}, DType: to})
	}
	return e
}

// scratch is a step's device temporaries, released together when it ends
// (the stream orders any reuse after its kernels).
type scratch struct {
	r    *run
	bufs []*buffer
}

func (s *scratch) get(bytes int) (uint64, error) {
	b, err := s.r.e.alloc(int64(bytes))
	if err != nil {
		return 0, err
	}
	s.bufs = append(s.bufs, b)
	return b.ptr, nil
}

func (s *scratch) free() {
	for _, b := range s.bufs {
		s.r.e.release(b)
	}
}

// luFits rejects sizes cuBLAS's int parameters cannot carry.
func luFits(n *graph.Node, counts ...int) error {
	for _, c := range counts {
		if c > math.MaxInt32 {
			return noKernel(n, fmt.Sprintf("%d exceeds cuBLAS's int", c))
		}
	}
	return nil
}

// luSolveStep solves Solve's systems through getrf and getrs: the distinct
// A matrices (a batch dim of size 1 shares one among its systems) are
// factored once, their pivots repeated for the systems sharing them.
func luSolveStep(n *graph.Node, op *nodes.SolveOp) (*step, error) {
	in := n.Inputs()
	sa, sb, out := in[0].Shape(), in[1].Shape(), n.Shape()
	nb, dt := op.NB, n.DType()
	sz, k := sa[nb], 1
	if len(sb) == nb+2 {
		k = sb[nb+1]
	}
	na, nsys := dense.Size(sa[:nb]), dense.Size(out[:nb])
	if err := luFits(n, sz, k, na, nsys); err != nil {
		return nil, err
	}
	// Batch dims merged, A's strides counted in matrices.
	shape, as, bs := solveBatch(sa, sb, out, nb, dense.Strides(sa[:nb]), dense.Strides(sb))
	if len(shape)+2 > maxRank {
		return nil, noKernel(n, fmt.Sprintf("%d batch dims after merging", len(shape)))
	}
	shared := na < nsys
	ks := luKernels{}
	bIn := castExpr(append(append([]int(nil), shape...), k, sz), append(append([]int(nil), bs...), 1, k), dt, tensor.Float64)
	xOut := castExpr([]int{nsys, sz, k}, []int{sz * k, 1, sz}, tensor.Float64, dt)
	var sys gemmPtrs // getrs: each system's factor and right-hand sides
	var piv strideCopy
	if shared {
		sys = gemmPtrs{shape: shape, cs: make([]int, len(shape))}
		ps, pd := []int{}, []int{}
		for j, st := range dense.Strides(shape) {
			sys.as = append(sys.as, as[j]*sz*sz*8)
			sys.bs = append(sys.bs, st*sz*k*8)
			ps, pd = append(ps, as[j]*sz), append(pd, st*sz)
		}
		piv = strideCopy{esize: 4, shape: append(append([]int(nil), shape...), sz), ss: append(ps, 1), ds: append(pd, 1)}.merged()
	}
	err := ks.add("lu_in", luIn{dt})
	if err == nil {
		err = ks.add("ptrs", luPtrs(na, sz*sz*8, sz*k*8))
	}
	if err == nil {
		err = ks.add("lu_check", luCheck{})
	}
	if err == nil {
		err = ks.add("b_in", bIn)
	}
	if err == nil {
		err = ks.add("x_out", xOut)
	}
	if err == nil && shared {
		if err = ks.add("ptrs2", sys); err == nil {
			err = ks.add("piv", piv)
		}
	}
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	s := &step{n: n, args: in, srcs: ks.srcs(), flags: []int64{noFailure}}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		x, err := r.out(n)
		if err != nil || x.size() == 0 {
			return x, err
		}
		sc := &scratch{r: r}
		defer sc.free()
		w, err := factorLU(r, sc, ks, dt, in[0].ptr(), na, sz, r.flagAt(s.flag0))
		if err != nil {
			return nil, err
		}
		b64, err := sc.get(8 * nsys * sz * k)
		if err != nil {
			return nil, err
		}
		if err := r.launch(bIn.launch(ks["b_in"], b64, []uint64{in[1].ptr()}, r.sms)); err != nil {
			return nil, err
		}
		arrays, ipiv := w.arrays, w.piv
		if shared {
			if arrays, err = sc.get(24 * nsys); err != nil {
				return nil, err
			}
			if ipiv, err = sc.get(4 * nsys * sz); err != nil {
				return nil, err
			}
			if err := r.launch(sys.launch(ks["ptrs2"], arrays, w.a, b64, 0, nsys, r.sms)); err != nil {
				return nil, err
			}
			if err := r.launch(piv.launch(ks["piv"], ipiv, w.piv, r.sms)); err != nil {
				return nil, err
			}
		} else if err := r.launch(luPtrs(na, sz*sz*8, sz*k*8).launch(ks["ptrs"], arrays, w.a, b64, 0, na, r.sms)); err != nil {
			return nil, err
		}
		err = r.e.g.lu(luCall{op: luSolve, trans: true, n: sz, nrhs: k, a: arrays, lda: sz, piv: ipiv,
			b: arrays + uint64(8*nsys), ldb: sz, batch: nsys})
		if err != nil {
			return nil, err
		}
		return x, r.launch(xOut.launch(ks["x_out"], x.ptr(), []uint64{b64}, r.sms))
	}
	// The first system of A matrix i has i's coordinates (0 along A's
	// size-1 dims): the lowest failing i names the first failing system.
	s.check = func(got []int64) error { return luFlag(sa[:nb], got[0]) }
	return s, nil
}

// luInvStep inverts Inv's matrices through getrf and getri.
func luInvStep(n *graph.Node, nb int) (*step, error) {
	shape, dt := n.Shape(), n.DType()
	sz, nmat := shape[nb], dense.Size(shape[:nb])
	if err := luFits(n, sz, nmat); err != nil {
		return nil, err
	}
	ks := luKernels{}
	toDt := castExpr([]int{nmat * sz * sz}, []int{1}, tensor.Float64, dt)
	err := ks.add("lu_in", luIn{dt})
	if err == nil {
		err = ks.add("ptrs", luPtrs(nmat, sz*sz*8, sz*sz*8))
	}
	if err == nil {
		err = ks.add("lu_check", luCheck{})
	}
	if err == nil && dt != tensor.Float64 {
		err = ks.add("x_out", toDt)
	}
	if err != nil {
		return nil, noKernel(n, err.Error())
	}
	s := &step{n: n, args: n.Inputs(), srcs: ks.srcs(), flags: []int64{noFailure}}
	s.exec = func(r *run, in []*Tensor) (*Tensor, error) {
		x, err := r.out(n)
		if err != nil || x.size() == 0 {
			return x, err
		}
		sc := &scratch{r: r}
		defer sc.free()
		c := x.ptr() // getri's result: x itself in float64
		if dt != tensor.Float64 {
			if c, err = sc.get(8 * nmat * sz * sz); err != nil {
				return nil, err
			}
		}
		w, err := factorLU(r, sc, ks, dt, in[0].ptr(), nmat, sz, r.flagAt(s.flag0))
		if err != nil {
			return nil, err
		}
		if err := r.launch(luPtrs(nmat, sz*sz*8, sz*sz*8).launch(ks["ptrs"], w.arrays, w.a, c, 0, nmat, r.sms)); err != nil {
			return nil, err
		}
		err = r.e.g.lu(luCall{op: luInvert, n: sz, a: w.arrays, lda: sz, piv: w.piv, b: w.arrays + uint64(8*nmat), ldb: sz,
			info: w.info, batch: nmat})
		if err != nil || dt == tensor.Float64 {
			return x, err
		}
		return x, r.launch(toDt.launch(ks["x_out"], x.ptr(), []uint64{c}, r.sms))
	}
	s.check = func(got []int64) error { return luFlag(shape[:nb], got[0]) }
	return s, nil
}

// luFactors is where factorLU left its results: the float64 factors, their
// pointer array (the first of three, each as long as the batch), pivots
// and statuses.
type luFactors struct{ a, arrays, piv, info uint64 }

// factorLU copies the na n×n matrices at a into float64 and factors them
// (getrf), then checks their pivots (luCheck), failures going to flag.
func factorLU(r *run, sc *scratch, ks luKernels, dt tensor.Dtype, a uint64, na, n int, flag uint64) (luFactors, error) {
	var w luFactors
	var tiny uint64
	var err error
	for _, g := range []struct {
		p     *uint64
		bytes int
	}{{&w.a, 8 * na * n * n}, {&tiny, 8 * na}, {&w.piv, 4 * na * n}, {&w.info, 4 * na}, {&w.arrays, 24 * na}} {
		if *g.p, err = sc.get(g.bytes); err != nil {
			return w, err
		}
	}
	if err := r.launch(luIn{dt}.launch(ks["lu_in"], w.a, a, tiny, flag, na, n, r.sms)); err != nil {
		return w, err
	}
	if err := r.launch(luPtrs(na, n*n*8, 0).launch(ks["ptrs"], w.arrays, w.a, 0, 0, na, r.sms)); err != nil {
		return w, err
	}
	if err := r.e.g.lu(luCall{op: luFactor, n: n, a: w.arrays, lda: n, piv: w.piv, info: w.info, batch: na}); err != nil {
		return w, err
	}
	return w, r.launch(luCheck{}.launch(ks["lu_check"], w.a, tiny, w.info, flag, na, n, r.sms))
}
