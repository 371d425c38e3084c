#include "textflag.h"

// Register use, both kernels: SI walks the packed A panel, DI the packed B
// panel, CX counts k steps, DX is C's row, R8 is ldc in bytes. Y0..Y11 hold
// the 6×2 accumulator vectors (row r in Y(2r), Y(2r+1)), Y12/Y13 the two B
// vectors of a k step, Y14/Y15 alternate broadcasts of A, so consecutive
// rows' FMAs do not wait on one register.

// PREFETCHC asks for the tile's six rows of C (two lines each, as a row
// need not be aligned) while the k loop runs, so the final stores and
// beta loads do not stall on cache misses.
#define PREFETCHC(last) \
	MOVQ       DX, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9); \
	ADDQ       R8, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9); \
	ADDQ       R8, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9); \
	ADDQ       R8, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9); \
	ADDQ       R8, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9); \
	ADDQ       R8, R9; \
	PREFETCHT0 (R9); \
	PREFETCHT0 last(R9)

// SSTEP is one k step of the float32 6×16 kernel: 12 FMAs.
#define SSTEP \
	VMOVUPS      (DI), Y12; \
	VMOVUPS      32(DI), Y13; \
	VBROADCASTSS (SI), Y14; \
	VBROADCASTSS 4(SI), Y15; \
	VFMADD231PS  Y12, Y14, Y0; \
	VFMADD231PS  Y13, Y14, Y1; \
	VFMADD231PS  Y12, Y15, Y2; \
	VFMADD231PS  Y13, Y15, Y3; \
	VBROADCASTSS 8(SI), Y14; \
	VBROADCASTSS 12(SI), Y15; \
	VFMADD231PS  Y12, Y14, Y4; \
	VFMADD231PS  Y13, Y14, Y5; \
	VFMADD231PS  Y12, Y15, Y6; \
	VFMADD231PS  Y13, Y15, Y7; \
	VBROADCASTSS 16(SI), Y14; \
	VBROADCASTSS 20(SI), Y15; \
	VFMADD231PS  Y12, Y14, Y8; \
	VFMADD231PS  Y13, Y14, Y9; \
	VFMADD231PS  Y12, Y15, Y10; \
	VFMADD231PS  Y13, Y15, Y11; \
	ADDQ         $24, SI; \
	ADDQ         $64, DI

// SSTORE writes one row: C = alpha·acc (Y14 = alpha), no read of C.
#define SSTORE(r0, r1) \
	VMULPS  Y14, r0, r0; \
	VMULPS  Y14, r1, r1; \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 32(DX); \
	ADDQ    R8, DX

// SUPDATE writes one row: C = alpha·acc + beta·C (Y14 = alpha, Y15 = beta).
#define SUPDATE(r0, r1) \
	VMULPS      Y14, r0, r0; \
	VMULPS      Y14, r1, r1; \
	VFMADD231PS (DX), Y15, r0; \
	VFMADD231PS 32(DX), Y15, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 32(DX); \
	ADDQ        R8, DX

// func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32, loadC int)
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	PREFETCHC(60)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	// Unrolled by 4 to amortize the loop branch.
	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   s_tail

s_loop4:
	SSTEP
	SSTEP
	SSTEP
	SSTEP
	DECQ BX
	JNZ  s_loop4

s_tail:
	TESTQ CX, CX
	JZ    s_store

s_loop1:
	SSTEP
	DECQ CX
	JNZ  s_loop1

s_store:
	VBROADCASTSS alpha+40(FP), Y14
	MOVQ         loadC+48(FP), AX
	TESTQ        AX, AX
	JNZ          s_update
	SSTORE(Y0, Y1)
	SSTORE(Y2, Y3)
	SSTORE(Y4, Y5)
	SSTORE(Y6, Y7)
	SSTORE(Y8, Y9)
	SSTORE(Y10, Y11)
	VZEROUPPER
	RET

s_update:
	VBROADCASTSS beta+44(FP), Y15
	SUPDATE(Y0, Y1)
	SUPDATE(Y2, Y3)
	SUPDATE(Y4, Y5)
	SUPDATE(Y6, Y7)
	SUPDATE(Y8, Y9)
	SUPDATE(Y10, Y11)
	VZEROUPPER
	RET

// DSTEP is one k step of the float64 6×8 kernel: 12 FMAs.
#define DSTEP \
	VMOVUPD      (DI), Y12; \
	VMOVUPD      32(DI), Y13; \
	VBROADCASTSD (SI), Y14; \
	VBROADCASTSD 8(SI), Y15; \
	VFMADD231PD  Y12, Y14, Y0; \
	VFMADD231PD  Y13, Y14, Y1; \
	VFMADD231PD  Y12, Y15, Y2; \
	VFMADD231PD  Y13, Y15, Y3; \
	VBROADCASTSD 16(SI), Y14; \
	VBROADCASTSD 24(SI), Y15; \
	VFMADD231PD  Y12, Y14, Y4; \
	VFMADD231PD  Y13, Y14, Y5; \
	VFMADD231PD  Y12, Y15, Y6; \
	VFMADD231PD  Y13, Y15, Y7; \
	VBROADCASTSD 32(SI), Y14; \
	VBROADCASTSD 40(SI), Y15; \
	VFMADD231PD  Y12, Y14, Y8; \
	VFMADD231PD  Y13, Y14, Y9; \
	VFMADD231PD  Y12, Y15, Y10; \
	VFMADD231PD  Y13, Y15, Y11; \
	ADDQ         $48, SI; \
	ADDQ         $64, DI

#define DSTORE(r0, r1) \
	VMULPD  Y14, r0, r0; \
	VMULPD  Y14, r1, r1; \
	VMOVUPD r0, (DX); \
	VMOVUPD r1, 32(DX); \
	ADDQ    R8, DX

#define DUPDATE(r0, r1) \
	VMULPD      Y14, r0, r0; \
	VMULPD      Y14, r1, r1; \
	VFMADD231PD (DX), Y15, r0; \
	VFMADD231PD 32(DX), Y15, r1; \
	VMOVUPD     r0, (DX); \
	VMOVUPD     r1, 32(DX); \
	ADDQ        R8, DX

// func dgemmKernel6x8(kc int, a, b, c *float64, ldc int, alpha, beta float64, loadC int)
TEXT ·dgemmKernel6x8(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8
	PREFETCHC(60)

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   d_tail

d_loop4:
	DSTEP
	DSTEP
	DSTEP
	DSTEP
	DECQ BX
	JNZ  d_loop4

d_tail:
	TESTQ CX, CX
	JZ    d_store

d_loop1:
	DSTEP
	DECQ CX
	JNZ  d_loop1

d_store:
	VBROADCASTSD alpha+40(FP), Y14
	MOVQ         loadC+56(FP), AX
	TESTQ        AX, AX
	JNZ          d_update
	DSTORE(Y0, Y1)
	DSTORE(Y2, Y3)
	DSTORE(Y4, Y5)
	DSTORE(Y6, Y7)
	DSTORE(Y8, Y9)
	DSTORE(Y10, Y11)
	VZEROUPPER
	RET

d_update:
	VBROADCASTSD beta+48(FP), Y15
	DUPDATE(Y0, Y1)
	DUPDATE(Y2, Y3)
	DUPDATE(Y4, Y5)
	DUPDATE(Y6, Y7)
	DUPDATE(Y8, Y9)
	DUPDATE(Y10, Y11)
	VZEROUPPER
	RET
