package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"
)

// maxEinsumOps is the most operands the einsum kernel multiplies: each is
// a pointer and a row of strides in its parameter struct.
const maxEinsumOps = 8

// einsum is a contraction the optimizer left as it was (a diagonal, a
// one-operand sum, a spec it did not split into GEMMs): one thread per
// output element walks every combination of the summed letters in
// row-major order — the reference's order — multiplying the operands'
// elements and adding in double. Each operand's offset moves by its
// stride per step of a letter (a letter repeated in a term walks a
// diagonal: its strides add up).
type einsum struct {
	dt     tensor.Dtype
	ops    int
	oshape []int   // output letters' sizes
	sshape []int   // summed letters' sizes, in the reference's order
	ost    [][]int // [operand][output letter]
	sst    [][]int // [operand][summed letter]
}

// ranks are the output and summed ranks the source is written for (at
// least 1: an empty list is one letter of size 1).
func (e einsum) ranks() (int, int) { return max(len(e.oshape), 1), max(len(e.sshape), 1) }

func (e einsum) Source() (string, error) {
	if e.dt != tensor.Float32 && e.dt != tensor.Float64 {
		return "", fmt.Errorf("einsum does not take %v", e.dt)
	}
	if e.ops < 1 || e.ops > maxEinsumOps {
		return "", fmt.Errorf("einsum kernel takes 1 to %d operands, got %d", maxEinsumOps, e.ops)
	}
	ro, rs := e.ranks()
	if ro > maxRank || rs > maxRank {
		return "", fmt.Errorf("einsum with %d output and %d summed letters exceeds %d", len(e.oshape), len(e.sshape), maxRank)
	}
	t := cType(e.dt)
	var ptrs, prod strings.Builder
	for k := 0; k < e.ops; k++ {
		fmt.Fprintf(&ptrs, " const %s* x%d;", t, k)
		if k > 0 {
			prod.WriteString(" * ")
		}
		fmt.Fprintf(&prod, "(double)p.x%d[o[%d]]", k, k)
	}
	var b strings.Builder
	b.WriteString(prelude)
	fmt.Fprintf(&b, `
struct es_p { %[1]s* dst;%[2]s i64 n; i64 m; i64 oshape[%[3]d]; i64 sshape[%[4]d]; i64 ost[%[5]d][%[3]d]; i64 sst[%[5]d][%[4]d]; };

extern "C" __global__ void __launch_bounds__(%[6]d) einsum(const es_p p) {
  const i64 step = (i64)blockDim.x * gridDim.x;
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += step) {
    i64 o[%[5]d], c[%[4]d];
#pragma unroll
    for (int k = 0; k < %[5]d; k++) o[k] = 0;
    i64 q = i;
#pragma unroll
    for (int d = %[3]d - 1; d >= 0; d--) {
      const i64 v = q %% p.oshape[d];
      q /= p.oshape[d];
#pragma unroll
      for (int k = 0; k < %[5]d; k++) o[k] += v * p.ost[k][d];
    }
#pragma unroll
    for (int d = 0; d < %[4]d; d++) c[d] = 0;
    double acc = 0.0;
    for (i64 s = 0; s < p.m; s++) {
      acc += %[7]s;
      for (int d = %[4]d - 1; d >= 0; d--) {
#pragma unroll
        for (int k = 0; k < %[5]d; k++) o[k] += p.sst[k][d];
        if (++c[d] < p.sshape[d]) break;
#pragma unroll
        for (int k = 0; k < %[5]d; k++) o[k] -= p.sst[k][d] * p.sshape[d];
        c[d] = 0;
      }
    }
    p.dst[i] = (%[1]s)acc;
  }
}
`, t, ptrs.String(), ro, rs, e.ops, blockSize, prod.String())
	return b.String(), nil
}

func (e einsum) launch(src string, dst uint64, xs []uint64, sms int) launch {
	ro, rs := e.ranks()
	n, m := 1, 1
	for _, d := range e.oshape {
		n *= d
	}
	for _, d := range e.sshape {
		m *= d
	}
	oshape, sshape := e.oshape, e.sshape
	if len(oshape) == 0 {
		oshape = []int{1}
	}
	if len(sshape) == 0 {
		sshape = []int{1}
	}
	var p params
	p.ptr(dst)
	for _, x := range xs {
		p.ptr(x)
	}
	p.int(n)
	p.int(m)
	p.ints(oshape, ro)
	p.ints(sshape, rs)
	for k := 0; k < e.ops; k++ {
		p.ints(e.ost[k], ro)
	}
	for k := 0; k < e.ops; k++ {
		p.ints(e.sst[k], rs)
	}
	return launch{src: src, name: "einsum", grid: gridFor(n, blockSize, sms), block: blockSize, params: p}
}
