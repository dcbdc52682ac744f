//go:build amd64

#include "textflag.h"

// Matrix·vector kernels (gemv.go). Memory-bound: one pass over the matrix,
// the vector and the accumulators stay in L1/registers.

// func sdotRowsAVX2(rows, kv int, a *float32, lda int, x, y *float32)
// y[r] = Σ_{p<kv} a[r·lda+p]·x[p]; kv is a multiple of 8 and > 0. Rows go
// four at a time (four independent FMA chains sharing each load of x), then
// one at a time.
TEXT ·sdotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), BX
	MOVQ kv+8(FP), CX
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), DX
	MOVQ x+32(FP), DI
	MOVQ y+40(FP), R8
	SHLQ $2, DX
	SHLQ $2, CX

s4:
	CMPQ BX, $4
	JLT  s1
	LEAQ (SI)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

s4loop:
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R9)(AX*1), Y4, Y1
	VFMADD231PS (R10)(AX*1), Y4, Y2
	VFMADD231PS (R11)(AX*1), Y4, Y3
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  s4loop

	// [Σa, Σb, Σc, Σd] from the four 8-lane sums.
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (R8)
	ADDQ $16, R8
	LEAQ (R11)(DX*1), SI
	SUBQ $4, BX
	JMP  s4

s1:
	TESTQ BX, BX
	JZ    sdone
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

s1loop:
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  s1loop

	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (R8)
	ADDQ $4, R8
	ADDQ DX, SI
	DECQ BX
	JMP  s1

sdone:
	VZEROUPPER
	RET

// func ddotRowsAVX2(rows, kv int, a *float64, lda int, x, y *float64)
// sdotRowsAVX2 for float64; kv is a multiple of 4.
TEXT ·ddotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), BX
	MOVQ kv+8(FP), CX
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), DX
	MOVQ x+32(FP), DI
	MOVQ y+40(FP), R8
	SHLQ $3, DX
	SHLQ $3, CX

d4:
	CMPQ BX, $4
	JLT  d1
	LEAQ (SI)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ AX, AX

d4loop:
	VMOVUPD     (DI)(AX*1), Y4
	VFMADD231PD (SI)(AX*1), Y4, Y0
	VFMADD231PD (R9)(AX*1), Y4, Y1
	VFMADD231PD (R10)(AX*1), Y4, Y2
	VFMADD231PD (R11)(AX*1), Y4, Y3
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  d4loop

	// [a0+a1, b0+b1 | a2+a3, b2+b3] and the same for c, d; then the halves.
	VHADDPD    Y1, Y0, Y0
	VHADDPD    Y3, Y2, Y2
	VPERM2F128 $0x20, Y2, Y0, Y1
	VPERM2F128 $0x31, Y2, Y0, Y3
	VADDPD     Y3, Y1, Y1
	VMOVUPD    Y1, (R8)
	ADDQ $32, R8
	LEAQ (R11)(DX*1), SI
	SUBQ $4, BX
	JMP  d4

d1:
	TESTQ BX, BX
	JZ    ddone
	VXORPD Y0, Y0, Y0
	XORQ AX, AX

d1loop:
	VMOVUPD     (DI)(AX*1), Y4
	VFMADD231PD (SI)(AX*1), Y4, Y0
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  d1loop

	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, (R8)
	ADDQ $8, R8
	ADDQ DX, SI
	DECQ BX
	JMP  d1

ddone:
	VZEROUPPER
	RET

// func saxpyColsAVX2(k int, a *float32, lda int, x, y *float32, cols int)
// y[j] = Σ_{p<k} x[p]·a[p·lda+j] for j < cols; cols is a multiple of 8, k > 0.
// Columns go 32 at a time (four accumulators), then 8.
TEXT ·saxpyColsAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ x+24(FP), DI
	MOVQ y+32(FP), R8
	MOVQ cols+40(FP), BX
	SHLQ $2, DX

a32:
	CMPQ BX, $32
	JLT  a8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12

a32loop:
	VBROADCASTSS (R11), Y4
	VFMADD231PS  (R10), Y4, Y0
	VFMADD231PS  32(R10), Y4, Y1
	VFMADD231PS  64(R10), Y4, Y2
	VFMADD231PS  96(R10), Y4, Y3
	ADDQ DX, R10
	ADDQ $4, R11
	DECQ R12
	JNZ  a32loop

	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, 64(R8)
	VMOVUPS Y3, 96(R8)
	ADDQ $128, SI
	ADDQ $128, R8
	SUBQ $32, BX
	JMP  a32

a8:
	TESTQ BX, BX
	JZ    adone
	VXORPS Y0, Y0, Y0
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12

a8loop:
	VBROADCASTSS (R11), Y4
	VFMADD231PS  (R10), Y4, Y0
	ADDQ DX, R10
	ADDQ $4, R11
	DECQ R12
	JNZ  a8loop

	VMOVUPS Y0, (R8)
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $8, BX
	JMP  a8

adone:
	VZEROUPPER
	RET

// func daxpyColsAVX2(k int, a *float64, lda int, x, y *float64, cols int)
// saxpyColsAVX2 for float64: 16 columns at a time, then 4.
TEXT ·daxpyColsAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ x+24(FP), DI
	MOVQ y+32(FP), R8
	MOVQ cols+40(FP), BX
	SHLQ $3, DX

b16:
	CMPQ BX, $16
	JLT  b4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12

b16loop:
	VBROADCASTSD (R11), Y4
	VFMADD231PD  (R10), Y4, Y0
	VFMADD231PD  32(R10), Y4, Y1
	VFMADD231PD  64(R10), Y4, Y2
	VFMADD231PD  96(R10), Y4, Y3
	ADDQ DX, R10
	ADDQ $8, R11
	DECQ R12
	JNZ  b16loop

	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, 64(R8)
	VMOVUPD Y3, 96(R8)
	ADDQ $128, SI
	ADDQ $128, R8
	SUBQ $16, BX
	JMP  b16

b4:
	TESTQ BX, BX
	JZ    bdone
	VXORPD Y0, Y0, Y0
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12

b4loop:
	VBROADCASTSD (R11), Y4
	VFMADD231PD  (R10), Y4, Y0
	ADDQ DX, R10
	ADDQ $8, R11
	DECQ R12
	JNZ  b4loop

	VMOVUPD Y0, (R8)
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $4, BX
	JMP  b4

bdone:
	VZEROUPPER
	RET
