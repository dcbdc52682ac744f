package gemm

import "unsafe"

// kernGeneric is the portable micro-kernel, used on CPUs without AVX2+FMA and
// on other architectures. It has the assembly kernels' contract and packed
// layouts, so the same driver and packing serve both, and the tests can run
// the two on identical inputs. It walks the MR×NR tile in 2×4 sub-blocks whose
// 8 accumulators stay in registers; the packed panels are L1-resident, so
// re-reading them per sub-block is cheap. mr must be even, nr a multiple of 4.
func kernGeneric[T float32 | float64](mr, nr int) kernFn[T] {
	return func(k int, a, b, c *T, ldc int, alpha, beta T, load bool) {
		as := unsafe.Slice(a, k*mr)
		bs := unsafe.Slice(b, k*nr)
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		for i0 := 0; i0 < mr; i0 += 2 {
			for j0 := 0; j0 < nr; j0 += 4 {
				var c00, c01, c02, c03, c10, c11, c12, c13 T
				for p := range k {
					ap := as[p*mr+i0 : p*mr+i0+2 : p*mr+i0+2]
					bp := bs[p*nr+j0 : p*nr+j0+4 : p*nr+j0+4]
					a0, a1 := ap[0], ap[1]
					b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
					c00 += a0 * b0
					c01 += a0 * b1
					c02 += a0 * b2
					c03 += a0 * b3
					c10 += a1 * b0
					c11 += a1 * b1
					c12 += a1 * b2
					c13 += a1 * b3
				}
				r0 := cs[i0*ldc+j0 : i0*ldc+j0+4 : i0*ldc+j0+4]
				r1 := cs[(i0+1)*ldc+j0 : (i0+1)*ldc+j0+4 : (i0+1)*ldc+j0+4]
				if load {
					r0[0], r0[1], r0[2], r0[3] = alpha*c00+beta*r0[0], alpha*c01+beta*r0[1], alpha*c02+beta*r0[2], alpha*c03+beta*r0[3]
					r1[0], r1[1], r1[2], r1[3] = alpha*c10+beta*r1[0], alpha*c11+beta*r1[1], alpha*c12+beta*r1[2], alpha*c13+beta*r1[3]
				} else {
					r0[0], r0[1], r0[2], r0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
					r1[0], r1[1], r1[2], r1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
				}
			}
		}
	}
}
