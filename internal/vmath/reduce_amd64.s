//go:build amd64

#include "textflag.h"
#include "consts_amd64.h"

// The reductions of reduce.go. x is summed in blocks of 256 elements: four
// 8-lane accumulators take vectors 0-3, 4-7, … of the block (each lane adds
// 8 terms in order), and are combined as (v0+v1)+(v2+v3). The block sums
// are combined pairwise through a stack, like a binary counter: after block
// k (from 1), one pop-and-add for each trailing zero bit of k, so 2^j blocks
// make a balanced tree of depth j. The partial last block is summed the same
// way (its last 1-7 elements by a masked load), then the stack is emptied
// from the top, and the 8 lanes are added as a tree. The stack lives in the
// 1536-byte frame: 48 levels, enough for 2^56 elements. Dot does the same
// with a·b, each step an FMA.

// func sum32AVX2(x *float32, n int) float32
TEXT ·sum32AVX2(SB), $1536-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ BX, BX
	XORQ R10, R10
	LEAQ (SP), R11

block:
	CMPQ CX, $256
	JB   rest
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS 128(SI), Y0, Y0
	VADDPS 160(SI), Y1, Y1
	VADDPS 192(SI), Y2, Y2
	VADDPS 224(SI), Y3, Y3
	VADDPS 256(SI), Y0, Y0
	VADDPS 288(SI), Y1, Y1
	VADDPS 320(SI), Y2, Y2
	VADDPS 352(SI), Y3, Y3
	VADDPS 384(SI), Y0, Y0
	VADDPS 416(SI), Y1, Y1
	VADDPS 448(SI), Y2, Y2
	VADDPS 480(SI), Y3, Y3
	VADDPS 512(SI), Y0, Y0
	VADDPS 544(SI), Y1, Y1
	VADDPS 576(SI), Y2, Y2
	VADDPS 608(SI), Y3, Y3
	VADDPS 640(SI), Y0, Y0
	VADDPS 672(SI), Y1, Y1
	VADDPS 704(SI), Y2, Y2
	VADDPS 736(SI), Y3, Y3
	VADDPS 768(SI), Y0, Y0
	VADDPS 800(SI), Y1, Y1
	VADDPS 832(SI), Y2, Y2
	VADDPS 864(SI), Y3, Y3
	VADDPS 896(SI), Y0, Y0
	VADDPS 928(SI), Y1, Y1
	VADDPS 960(SI), Y2, Y2
	VADDPS 992(SI), Y3, Y3
	ADDQ $1024, SI
	SUBQ $256, CX
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	INCQ BX
	MOVQ BX, R9

merge: // pop a block sum for every trailing zero of the block count
	TESTQ $1, R9
	JNE   push
	SUBQ  $32, R10
	VADDPS (R11)(R10*1), Y0, Y0
	SHRQ  $1, R9
	JMP   merge

push:
	VMOVUPS Y0, (R11)(R10*1)
	ADDQ $32, R10
	JMP  block

rest: // the last partial block, vector j into accumulator j mod 4
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

rest32:
	CMPQ CX, $32
	JB   rest8
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  rest32

rest8:
	CMPQ CX, $8
	JB   restmask
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	CMPQ CX, $8
	JB   restmask
	VADDPS (SI), Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	CMPQ CX, $8
	JB   restmask
	VADDPS (SI), Y2, Y2
	ADDQ $32, SI
	SUBQ $8, CX

restmask:
	TESTQ CX, CX
	JE    fold
	LEAQ  K_MASK1, AX
	NEGQ  CX
	VMOVUPS (AX)(CX*4), Y4
	VMASKMOVPS (SI), Y4, Y5
	VADDPS Y5, Y3, Y3

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0

unstack: // the smallest (latest) block sums first
	TESTQ R10, R10
	JE    hsum
	SUBQ  $32, R10
	VADDPS (R11)(R10*1), Y0, Y0
	JMP   unstack

hsum: // lanes i and i+4, then i and i+2, then 0 and 1
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func dot32AVX2(a, b *float32, n int) float32
TEXT ·dot32AVX2(SB), $1536-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ n+16(FP), CX
	XORQ BX, BX
	XORQ R10, R10
	LEAQ (SP), R11

block:
	CMPQ CX, $256
	JB   rest
	VMOVUPS 0(SI), Y0
	VMULPS 0(DX), Y0, Y0
	VMOVUPS 32(SI), Y1
	VMULPS 32(DX), Y1, Y1
	VMOVUPS 64(SI), Y2
	VMULPS 64(DX), Y2, Y2
	VMOVUPS 96(SI), Y3
	VMULPS 96(DX), Y3, Y3
	VMOVUPS 128(SI), Y4
	VFMADD231PS 128(DX), Y4, Y0
	VMOVUPS 160(SI), Y5
	VFMADD231PS 160(DX), Y5, Y1
	VMOVUPS 192(SI), Y6
	VFMADD231PS 192(DX), Y6, Y2
	VMOVUPS 224(SI), Y7
	VFMADD231PS 224(DX), Y7, Y3
	VMOVUPS 256(SI), Y4
	VFMADD231PS 256(DX), Y4, Y0
	VMOVUPS 288(SI), Y5
	VFMADD231PS 288(DX), Y5, Y1
	VMOVUPS 320(SI), Y6
	VFMADD231PS 320(DX), Y6, Y2
	VMOVUPS 352(SI), Y7
	VFMADD231PS 352(DX), Y7, Y3
	VMOVUPS 384(SI), Y4
	VFMADD231PS 384(DX), Y4, Y0
	VMOVUPS 416(SI), Y5
	VFMADD231PS 416(DX), Y5, Y1
	VMOVUPS 448(SI), Y6
	VFMADD231PS 448(DX), Y6, Y2
	VMOVUPS 480(SI), Y7
	VFMADD231PS 480(DX), Y7, Y3
	VMOVUPS 512(SI), Y4
	VFMADD231PS 512(DX), Y4, Y0
	VMOVUPS 544(SI), Y5
	VFMADD231PS 544(DX), Y5, Y1
	VMOVUPS 576(SI), Y6
	VFMADD231PS 576(DX), Y6, Y2
	VMOVUPS 608(SI), Y7
	VFMADD231PS 608(DX), Y7, Y3
	VMOVUPS 640(SI), Y4
	VFMADD231PS 640(DX), Y4, Y0
	VMOVUPS 672(SI), Y5
	VFMADD231PS 672(DX), Y5, Y1
	VMOVUPS 704(SI), Y6
	VFMADD231PS 704(DX), Y6, Y2
	VMOVUPS 736(SI), Y7
	VFMADD231PS 736(DX), Y7, Y3
	VMOVUPS 768(SI), Y4
	VFMADD231PS 768(DX), Y4, Y0
	VMOVUPS 800(SI), Y5
	VFMADD231PS 800(DX), Y5, Y1
	VMOVUPS 832(SI), Y6
	VFMADD231PS 832(DX), Y6, Y2
	VMOVUPS 864(SI), Y7
	VFMADD231PS 864(DX), Y7, Y3
	VMOVUPS 896(SI), Y4
	VFMADD231PS 896(DX), Y4, Y0
	VMOVUPS 928(SI), Y5
	VFMADD231PS 928(DX), Y5, Y1
	VMOVUPS 960(SI), Y6
	VFMADD231PS 960(DX), Y6, Y2
	VMOVUPS 992(SI), Y7
	VFMADD231PS 992(DX), Y7, Y3
	ADDQ $1024, SI
	ADDQ $1024, DX
	SUBQ $256, CX
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	INCQ BX
	MOVQ BX, R9

merge: // pop a block sum for every trailing zero of the block count
	TESTQ $1, R9
	JNE   push
	SUBQ  $32, R10
	VADDPS (R11)(R10*1), Y0, Y0
	SHRQ  $1, R9
	JMP   merge

push:
	VMOVUPS Y0, (R11)(R10*1)
	ADDQ $32, R10
	JMP  block

rest: // the last partial block, vector j into accumulator j mod 4
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

rest32:
	CMPQ CX, $32
	JB   rest8
	VMOVUPS 0(SI), Y4
	VFMADD231PS 0(DX), Y4, Y0
	VMOVUPS 32(SI), Y5
	VFMADD231PS 32(DX), Y5, Y1
	VMOVUPS 64(SI), Y6
	VFMADD231PS 64(DX), Y6, Y2
	VMOVUPS 96(SI), Y7
	VFMADD231PS 96(DX), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  rest32

rest8:
	CMPQ CX, $8
	JB   restmask
	VMOVUPS (SI), Y4
	VFMADD231PS (DX), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	CMPQ CX, $8
	JB   restmask
	VMOVUPS (SI), Y5
	VFMADD231PS (DX), Y5, Y1
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	CMPQ CX, $8
	JB   restmask
	VMOVUPS (SI), Y6
	VFMADD231PS (DX), Y6, Y2
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX

restmask:
	TESTQ CX, CX
	JE    fold
	LEAQ  K_MASK1, AX
	NEGQ  CX
	VMOVUPS (AX)(CX*4), Y4
	VMASKMOVPS (SI), Y4, Y5
	VMASKMOVPS (DX), Y4, Y6
	VFMADD231PS Y6, Y5, Y3

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0

unstack: // the smallest (latest) block sums first
	TESTQ R10, R10
	JE    hsum
	SUBQ  $32, R10
	VADDPS (R11)(R10*1), Y0, Y0
	JMP   unstack

hsum: // lanes i and i+4, then i and i+2, then 0 and 1
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET
