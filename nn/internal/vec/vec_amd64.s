#include "textflag.h"

// Every kernel takes n, a positive multiple of 8, and walks its slices with
// one pointer each. The main loops handle 32 elements (four registers) a
// pass, so that independent loads, operations and stores overlap; a loop
// of 8 finishes. Destinations may equal sources: each pass loads before it
// stores.

// func addAVX2(dst, a, b *float32, n int)
// dst = a + b.
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $32
	JB   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VADDPS 64(DX), Y2, Y2
	VADDPS 96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     loop8

done:
	VZEROUPPER
	RET

// func subAVX2(dst, a, b *float32, n int)
// dst = a − b (the memory operand is subtracted).
TEXT ·subAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $32
	JB   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VSUBPS (DX), Y0, Y0
	VSUBPS 32(DX), Y1, Y1
	VSUBPS 64(DX), Y2, Y2
	VSUBPS 96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMOVUPS (SI), Y0
	VSUBPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     loop8

done:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
// dst = a · b.
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $32
	JB   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS (DX), Y0, Y0
	VMULPS 32(DX), Y1, Y1
	VMULPS 64(DX), Y2, Y2
	VMULPS 96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     loop8

done:
	VZEROUPPER
	RET

// func mulScalarAVX2(dst, a *float32, n int, s float32)
// dst = a · s, with s broadcast in Y4.
TEXT ·mulScalarAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y4
	CMPQ CX, $32
	JB   tail

loop:
	VMULPS  (SI), Y4, Y0
	VMOVUPS Y0, (DI)
	VMULPS  32(SI), Y4, Y1
	VMOVUPS Y1, 32(DI)
	VMULPS  64(SI), Y4, Y2
	VMOVUPS Y2, 64(DI)
	VMULPS  96(SI), Y4, Y3
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JAE  loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMULPS  (SI), Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  loop8

done:
	VZEROUPPER
	RET

// func reluAVX2(dst, x *float32, n int)
// dst = max(x, 0) as Go's max computes it. VMAXPS returns its second
// source (here x, the memory operand) when either is a NaN or both are
// zeros, so a NaN stays a NaN and −0 stays −0; adding +0 then turns −0
// into +0 and leaves every other value, NaNs included, a NaN.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y4, Y4, Y4
	CMPQ CX, $32
	JB   tail

loop:
	VMAXPS  (SI), Y4, Y0
	VADDPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	VMAXPS  32(SI), Y4, Y1
	VADDPS  Y4, Y1, Y1
	VMOVUPS Y1, 32(DI)
	VMAXPS  64(SI), Y4, Y2
	VADDPS  Y4, Y2, Y2
	VMOVUPS Y2, 64(DI)
	VMAXPS  96(SI), Y4, Y3
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JAE  loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMAXPS  (SI), Y4, Y0
	VADDPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  loop8

done:
	VZEROUPPER
	RET

// func geZeroMaskAVX2(dst, x *float32, n int, s float32)
// dst = 1 where x − s ≥ 0, else 0: Y4 holds s, Y5 zero, Y6 1.0. Predicate
// 0x1d is GE_OQ, ordered, so a NaN difference compares false; −0 ≥ 0.
TEXT ·geZeroMaskAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y4
	VXORPS       Y5, Y5, Y5
	MOVL         $0x3f800000, AX
	MOVL         AX, X6
	VBROADCASTSS X6, Y6
	CMPQ CX, $32
	JB   tail

loop:
	VMOVUPS (SI), Y0
	VSUBPS  Y4, Y0, Y0
	VCMPPS  $0x1d, Y5, Y0, Y0
	VANDPS  Y6, Y0, Y0
	VMOVUPS Y0, (DI)
	VMOVUPS 32(SI), Y1
	VSUBPS  Y4, Y1, Y1
	VCMPPS  $0x1d, Y5, Y1, Y1
	VANDPS  Y6, Y1, Y1
	VMOVUPS Y1, 32(DI)
	VMOVUPS 64(SI), Y2
	VSUBPS  Y4, Y2, Y2
	VCMPPS  $0x1d, Y5, Y2, Y2
	VANDPS  Y6, Y2, Y2
	VMOVUPS Y2, 64(DI)
	VMOVUPS 96(SI), Y3
	VSUBPS  Y4, Y3, Y3
	VCMPPS  $0x1d, Y5, Y3, Y3
	VANDPS  Y6, Y3, Y3
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JAE  loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMOVUPS (SI), Y0
	VSUBPS  Y4, Y0, Y0
	VCMPPS  $0x1d, Y5, Y0, Y0
	VANDPS  Y6, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  loop8

done:
	VZEROUPPER
	RET

// func axpbyAVX2(dst, src *float32, n int, a, b float32)
// dst = a·src + b·dst: Y4 holds a, Y5 b; Y8..Y11 hold the b·dst terms.
TEXT ·axpbyAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y4
	VBROADCASTSS b+28(FP), Y5
	CMPQ CX, $32
	JB   tail

loop:
	VMULPS  (SI), Y4, Y0
	VMULPS  (DI), Y5, Y8
	VADDPS  Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	VMULPS  32(SI), Y4, Y1
	VMULPS  32(DI), Y5, Y9
	VADDPS  Y9, Y1, Y1
	VMOVUPS Y1, 32(DI)
	VMULPS  64(SI), Y4, Y2
	VMULPS  64(DI), Y5, Y10
	VADDPS  Y10, Y2, Y2
	VMOVUPS Y2, 64(DI)
	VMULPS  96(SI), Y4, Y3
	VMULPS  96(DI), Y5, Y11
	VADDPS  Y11, Y3, Y3
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JAE  loop

tail:
	TESTQ CX, CX
	JZ    done

loop8:
	VMULPS  (SI), Y4, Y0
	VMULPS  (DI), Y5, Y8
	VADDPS  Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  loop8

done:
	VZEROUPPER
	RET

// ADAMSTEP updates 8 elements at offset off: Y0 g, Y1 m, Y2 v, Y3 and Y4
// scratch; Y8..Y14 hold b1, c1 = 1 − b1, b2, c2 = 1 − b2, stepSize,
// sqrtBC2 and eps. The operations and their order are those of adamGo.
#define ADAMSTEP(off) \
	VMOVUPS off(BX), Y0; \
	VMULPS  off(CX), Y8, Y1; \
	VMULPS  Y0, Y9, Y3; \
	VADDPS  Y3, Y1, Y1; \
	VMOVUPS Y1, off(CX); \
	VMULPS  off(DX), Y10, Y2; \
	VMULPS  Y0, Y11, Y3; \
	VMULPS  Y0, Y3, Y3; \
	VADDPS  Y3, Y2, Y2; \
	VMOVUPS Y2, off(DX); \
	VSQRTPS Y2, Y2; \
	VDIVPS  Y13, Y2, Y2; \
	VADDPS  Y14, Y2, Y2; \
	VMULPS  Y1, Y12, Y4; \
	VDIVPS  Y2, Y4, Y4; \
	VMOVUPS off(AX), Y3; \
	VSUBPS  Y4, Y3, Y3; \
	VMOVUPS Y3, off(AX)

// func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, stepSize, sqrtBC2, eps float32)
// AX walks p, BX grad, CX m, DX v; SI counts elements. Square roots and
// divisions dominate, so two independent steps a pass keep both in flight.
TEXT ·adamAVX2(SB), NOSPLIT, $0-68
	MOVQ         p+0(FP), AX
	MOVQ         grad+8(FP), BX
	MOVQ         m+16(FP), CX
	MOVQ         v+24(FP), DX
	MOVQ         n+32(FP), SI
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS c1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS c2+52(FP), Y11
	VBROADCASTSS stepSize+56(FP), Y12
	VBROADCASTSS sqrtBC2+60(FP), Y13
	VBROADCASTSS eps+64(FP), Y14
	CMPQ         SI, $16
	JB           tail

loop:
	ADAMSTEP(0)
	ADAMSTEP(32)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	SUBQ $16, SI
	CMPQ SI, $16
	JAE  loop

tail:
	TESTQ SI, SI
	JZ    done
	ADAMSTEP(0)

done:
	VZEROUPPER
	RET

// func sumRowsAVX2(acc *float64, x *float32, rows, cols, width int)
// Sums the first width columns (a multiple of 4) of x into acc, each column
// in row order. A block of 32 columns keeps eight float64 accumulators
// (Y0..Y7) in registers while it walks down the rows, so each addition
// depends only on the one a row above; blocks of 4 finish. DI walks acc, SI
// the block's top row, AX the current row, R8 is rows, R9 the row stride in
// bytes, DX counts rows, CX columns left.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ cols+24(FP), R9
	SHLQ $2, R9
	MOVQ width+32(FP), CX
	CMPQ CX, $32
	JB   tail

block32:
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	MOVQ    SI, AX
	MOVQ    R8, DX

rows32:
	VCVTPS2PD (AX), Y8
	VCVTPS2PD 16(AX), Y9
	VCVTPS2PD 32(AX), Y10
	VCVTPS2PD 48(AX), Y11
	VCVTPS2PD 64(AX), Y12
	VCVTPS2PD 80(AX), Y13
	VCVTPS2PD 96(AX), Y14
	VCVTPS2PD 112(AX), Y15
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	VADDPD    Y10, Y2, Y2
	VADDPD    Y11, Y3, Y3
	VADDPD    Y12, Y4, Y4
	VADDPD    Y13, Y5, Y5
	VADDPD    Y14, Y6, Y6
	VADDPD    Y15, Y7, Y7
	ADDQ      R9, AX
	DECQ      DX
	JNZ       rows32

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     block32

tail:
	TESTQ CX, CX
	JZ    done

block4:
	VMOVUPD (DI), Y0
	MOVQ    SI, AX
	MOVQ    R8, DX

rows4:
	VCVTPS2PD (AX), Y8
	VADDPD    Y8, Y0, Y0
	ADDQ      R9, AX
	DECQ      DX
	JNZ       rows4

	VMOVUPD Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $16, SI
	SUBQ    $4, CX
	JNZ     block4

done:
	VZEROUPPER
	RET
