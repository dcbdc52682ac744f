package gemm

import "unsafe"

// Packing copies op(A) and op(B) blocks into the contiguous, zero-padded
// micro-panels the micro-kernels stream through: transposes, leading
// dimensions and ragged edges are all absorbed here, once per block, so the
// O(m·n·k) inner loop only ever sees unit-stride, full-width panels.
//
// A block (mb×kb) → panels of mr rows: dst[ir*kb + p*mr + r] = op(A)[i0+ir+r][p0+p].
// B block (kb×nb) → panels of nr cols: dst[jr*kb + p*nr + j] = op(B)[p0+p][j0+jr+j].

func packA[T float32 | float64](tA bool, a []T, lda, i0, p0, mb, kb, mr int, dst []T, asm bool) {
	for ir := 0; ir < mb; ir += mr {
		mv := min(mr, mb-ir)
		d := dst[ir*kb : ir*kb+kb*mr]
		if tA {
			// Stored transposed: a panel column is a contiguous run of a row.
			if mv == 6 && mr == 6 {
				// Fixed-size copies: no memmove call per 6 elements.
				for p := range kb {
					o := (p0+p)*lda + i0 + ir
					*(*[6]T)(d[p*6:]) = [6]T(a[o:])
				}
				continue
			}
			for p := range kb {
				o := (p0+p)*lda + i0 + ir
				dd := d[p*mr : p*mr+mr]
				copy(dd, a[o:o+mv])
				clear(dd[mv:])
			}
			continue
		}
		if mv == 6 && mr == 6 {
			packA6(a, lda, i0+ir, p0, kb, d, asm)
			continue
		}
		for r := range mv {
			o := (i0+ir+r)*lda + p0
			for p, v := range a[o : o+kb] {
				d[p*mr+r] = v
			}
		}
		if mv < mr {
			for p := range kb {
				clear(d[p*mr+mv : p*mr+mr])
			}
		}
	}
}

// packA6 interleaves six rows; reading all six per step keeps the writes
// sequential, which is what the store buffer wants.
func packA6[T float32 | float64](a []T, lda, i, p0, kb int, d []T, asm bool) {
	o := i*lda + p0
	_ = a[o+5*lda+kb-1] // every row read below is in bounds
	d = d[:6*kb]
	if asm && unsafe.Sizeof(a[0]) == 4 {
		packA6AVX(kb, (*float32)(unsafe.Pointer(&a[o])), lda, (*float32)(unsafe.Pointer(&d[0])))
		return
	}
	r0 := a[o : o+kb]
	r1 := a[o+lda : o+lda+kb]
	r2 := a[o+2*lda : o+2*lda+kb]
	r3 := a[o+3*lda : o+3*lda+kb]
	r4 := a[o+4*lda : o+4*lda+kb]
	r5 := a[o+5*lda : o+5*lda+kb]
	for p := range r0 {
		q := d[p*6 : p*6+6 : p*6+6]
		q[0], q[1], q[2], q[3], q[4], q[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

func packB[T float32 | float64](tB bool, b []T, ldb, p0, j0, kb, nb, nr int, dst []T, asm bool) {
	for jr := 0; jr < nb; jr += nr {
		nv := min(nr, nb-jr)
		d := dst[jr*kb : jr*kb+kb*nr]
		if !tB {
			if nv == nr {
				packBRows(b, ldb, p0*ldb+j0+jr, kb, nr, d, asm)
				continue
			}
			for p := range kb {
				o := (p0+p)*ldb + j0 + jr
				dd := d[p*nr : p*nr+nr]
				copy(dd, b[o:o+nv])
				clear(dd[nv:])
			}
			continue
		}
		if asm && nv == nr && nr%16 == 0 && unsafe.Sizeof(b[0]) == 4 {
			o := (j0+jr)*ldb + p0
			_ = b[o+(nr-1)*ldb+kb-1] // all nr rows in bounds
			for g := 0; g < nr; g += 16 {
				packT16AVX(kb, (*float32)(unsafe.Pointer(&b[o+g*ldb])), ldb, (*float32)(unsafe.Pointer(&d[g])), nr)
			}
			continue
		}
		for j := range nv {
			o := (j0+jr+j)*ldb + p0
			for p, v := range b[o : o+kb] {
				d[p*nr+j] = v
			}
		}
		if nv < nr {
			for p := range kb {
				clear(d[p*nr+nv : p*nr+nr])
			}
		}
	}
}

// packBRows copies kb full rows of nr elements.
func packBRows[T float32 | float64](b []T, ldb, o, kb, nr int, d []T, asm bool) {
	if rb := nr * int(unsafe.Sizeof(b[0])); asm && rb%64 == 0 {
		_ = b[o+(kb-1)*ldb+nr-1]
		_ = d[kb*nr-1]
		packRowsAVX(kb, unsafe.Pointer(&b[o]), ldb*int(unsafe.Sizeof(b[0])), unsafe.Pointer(&d[0]), rb)
		return
	}
	switch nr {
	case 16:
		for p := range kb {
			*(*[16]T)(d[p*16:]) = [16]T(b[o+p*ldb:])
		}
	case 8:
		for p := range kb {
			*(*[8]T)(d[p*8:]) = [8]T(b[o+p*ldb:])
		}
	default:
		for p := range kb {
			copy(d[p*nr:p*nr+nr], b[o+p*ldb:])
		}
	}
}
