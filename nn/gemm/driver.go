package gemm

import (
	"sync"
	"unsafe"
)

// float is the element types this package multiplies.
type float interface{ ~float32 | ~float64 }

// kernelFunc computes one MR×NR tile: C = alpha·Ap·Bp + beta·C, where Ap is
// a packed MR×kc row panel (column of MR values per step of k) and Bp a
// packed kc×NR column panel (row of NR values per step of k). C is read only
// when loadC != 0, so beta == 0 never turns NaNs in C into results. All
// MR×NR elements of C, at stride ldc, are written.
type kernelFunc[T float] func(kc int, a, b, c *T, ldc int, alpha, beta T, loadC int)

// config holds the blocking of one element type and its kernels.
type config[T float] struct {
	mr, nr     int // micro-tile, fixed by the kernels' register use
	mc, kc, nc int // cache blocks: A block mc×kc (L2), B panel kc×nr (L1)
	asm        kernelFunc[T]
	portable   kernelFunc[T]
	gemv       gemvFunc[T] // for C with one row or column
	scratch    sync.Pool   // *scratch[T], so steady-state calls allocate nothing
	jobs       sync.Pool   // *job[T], for calls split across goroutines
}

// scratch is one goroutine's packing space; buffers only grow.
type scratch[T float] struct {
	ap, bp []T
	tile   [maxTile]T // edge tiles are computed here, then merged into C
}

// maxTile is the largest MR·NR of the kernels (float32 6×16).
const maxTile = 96

func (cfg *config[T]) getScratch() *scratch[T] {
	if s, ok := cfg.scratch.Get().(*scratch[T]); ok {
		return s
	}
	return new(scratch[T])
}

func (cfg *config[T]) kernel() kernelFunc[T] {
	if useAsm && cfg.asm != nil {
		return cfg.asm
	}
	return cfg.portable
}

// grow returns buf with length at least n, reusing its storage if it can.
func grow[T float](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]T, n)
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// gemm is the serial blocked product C = alpha·op(A)·op(B) + beta·C with
// m, n, k > 0 and alpha != 0; arguments are already checked. The loop order
// is GotoBLAS's: B panels (nc columns × kc) outermost, then A blocks
// (mc rows × kc), then micro-tiles with the B micro-panel innermost-reused.
func gemm[T float](cfg *config[T], s *scratch[T], aT, bT bool, m, n, k int, alpha T,
	a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	mr, nr := cfg.mr, cfg.nr
	kern := cfg.kernel()
	kcMax := min(k, cfg.kc)
	s.ap = grow(s.ap, min(roundUp(m, mr), cfg.mc)*kcMax)
	s.bp = grow(s.bp, min(roundUp(n, nr), cfg.nc)*kcMax)
	for jc := 0; jc < n; jc += cfg.nc {
		nc := min(cfg.nc, n-jc)
		for pc := 0; pc < k; pc += cfg.kc {
			kc := min(cfg.kc, k-pc)
			packB(s.bp, b, ldb, bT, pc, kc, jc, nc, nr)
			// Later k blocks add to what the first one stored.
			bEff := beta
			if pc > 0 {
				bEff = 1
			}
			for ic := 0; ic < m; ic += cfg.mc {
				mc := min(cfg.mc, m-ic)
				packA(s.ap, a, lda, aT, ic, mc, pc, kc, mr)
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					bp := &s.bp[jr*kc]
					for ir := 0; ir < mc; ir += mr {
						mrr := min(mr, mc-ir)
						ap := &s.ap[ir*kc]
						off := (ic+ir)*ldc + jc + jr
						if mrr == mr && nrr == nr {
							kern(kc, ap, bp, &c[off], ldc, alpha, bEff, loadFlag(bEff))
							continue
						}
						edgeTile(kern, s, kc, ap, bp, c[off:], ldc, mr, nr, mrr, nrr, alpha, bEff)
					}
				}
			}
		}
	}
}

func loadFlag[T float](beta T) int {
	if beta == 0 {
		return 0
	}
	return 1
}

// edgeTile computes a full padded tile into s.tile and merges its mrr×nrr
// valid corner into C, so the kernels never write outside C's window.
func edgeTile[T float](kern kernelFunc[T], s *scratch[T], kc int, ap, bp *T, c []T, ldc int,
	mr, nr, mrr, nrr int, alpha, beta T) {
	t := s.tile[:mr*nr]
	kern(kc, ap, bp, &t[0], nr, alpha, 0, 0)
	for i := range mrr {
		row := c[i*ldc : i*ldc+nrr]
		tr := t[i*nr : i*nr+nrr]
		if beta == 0 {
			copy(row, tr)
			continue
		}
		for j, v := range tr {
			row[j] = v + beta*row[j]
		}
	}
}

// packA copies rows i0..i0+mc-1, columns p0..p0+kc-1 of op(A) into dst as
// consecutive MR×kc panels, each stored k-major (MR values per k step), the
// order the kernel broadcasts them in. Rows past the end are zero.
func packA[T float](dst, a []T, lda int, trans bool, i0, mc, p0, kc, mr int) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		d := dst[ir*kc : ir*kc+mr*kc]
		if mr == 6 && rows == 6 {
			packA6(d, a, lda, trans, i0+ir, p0, kc)
			continue
		}
		if trans {
			// op(A)(i, p) = a[p*lda+i]: each k step is a contiguous run.
			for p := range kc {
				src := a[(p0+p)*lda+i0+ir:][:rows]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src)
				clear(dp[rows:])
			}
			continue
		}
		for i := range rows {
			src := a[(i0+ir+i)*lda+p0:][:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kc {
				d[p*mr+i] = 0
			}
		}
	}
}

// packA6 is packA for one full panel of 6 rows (both kernels' MR): it
// reads the six source runs side by side and writes dst in order, instead
// of six passes of strided writes or a call to copy per k step.
func packA6[T float](d, a []T, lda int, trans bool, i0, p0, kc int) {
	d = d[:6*kc]
	if trans {
		for p := range kc {
			src := a[(p0+p)*lda+i0:][:6]
			q := d[p*6:][:6]
			q[0], q[1], q[2], q[3], q[4], q[5] = src[0], src[1], src[2], src[3], src[4], src[5]
		}
		return
	}
	r0 := a[i0*lda+p0:][:kc]
	r1 := a[(i0+1)*lda+p0:][:kc]
	r2 := a[(i0+2)*lda+p0:][:kc]
	r3 := a[(i0+3)*lda+p0:][:kc]
	r4 := a[(i0+4)*lda+p0:][:kc]
	r5 := a[(i0+5)*lda+p0:][:kc]
	for p := range kc {
		q := d[p*6:][:6]
		q[0], q[1], q[2], q[3], q[4], q[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packB copies rows p0..p0+kc-1, columns j0..j0+nc-1 of op(B) into dst as
// consecutive kc×NR panels, each stored k-major (NR values per k step).
// Columns past the end are zero.
func packB[T float](dst, b []T, ldb int, trans bool, p0, kc, j0, nc, nr int) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		d := dst[jr*kc : jr*kc+nr*kc]
		if !trans {
			// Whole panels (the common case) copy as fixed-size arrays,
			// which compile to a few vector moves; copy() would call
			// memmove for every 64-byte row.
			switch {
			case cols == 16 && nr == 16:
				for p := range kc {
					*(*[16]T)(d[p*16:]) = *(*[16]T)(b[(p0+p)*ldb+j0+jr:])
				}
			case cols == 8 && nr == 8:
				for p := range kc {
					*(*[8]T)(d[p*8:]) = *(*[8]T)(b[(p0+p)*ldb+j0+jr:])
				}
			default:
				for p := range kc {
					dp := d[p*nr : p*nr+nr]
					copy(dp, b[(p0+p)*ldb+j0+jr:][:cols])
					clear(dp[cols:])
				}
			}
			continue
		}
		// op(B)(p, j) = b[j*ldb+p]: each column is a contiguous run. Four
		// runs are read side by side so that each pass writes whole
		// 16-byte (float32) groups of the panel rather than single elements.
		j := 0
		for ; j+4 <= cols; j += 4 {
			base := (j0+jr+j)*ldb + p0
			s0 := b[base:][:kc]
			s1 := b[base+ldb:][:kc]
			s2 := b[base+2*ldb:][:kc]
			s3 := b[base+3*ldb:][:kc]
			for p := range kc {
				q := d[p*nr+j:][:4]
				q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; j < cols; j++ {
			src := b[(j0+jr+j)*ldb+p0:][:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := range kc {
				d[p*nr+j] = 0
			}
		}
	}
}

// goKernel is the portable micro-kernel for any MR×NR with NR a multiple
// of 8: it walks the tile in 1×8 strips, so the eight accumulators, the A
// value and a temporary fit the 15 floating-point registers Go's amd64 ABI
// leaves free (2×4 blocks made the compiler spill), and re-reads the packed
// panels, which are hot in L1.
func goKernel[T float](mr, nr, kc int, ap, bp, cp *T, ldc int, alpha, beta T, loadC int) {
	a := unsafe.Slice(ap, kc*mr)
	b := unsafe.Slice(bp, kc*nr)
	c := unsafe.Slice(cp, (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j += 8 {
			var c0, c1, c2, c3, c4, c5, c6, c7 T
			for p := 0; p < kc; p++ {
				a0 := a[p*mr+i]
				bb := b[p*nr+j:][:8]
				c0 += a0 * bb[0]
				c1 += a0 * bb[1]
				c2 += a0 * bb[2]
				c3 += a0 * bb[3]
				c4 += a0 * bb[4]
				c5 += a0 * bb[5]
				c6 += a0 * bb[6]
				c7 += a0 * bb[7]
			}
			r := c[i*ldc+j:][:8]
			if loadC == 0 {
				r[0], r[1], r[2], r[3] = alpha*c0, alpha*c1, alpha*c2, alpha*c3
				r[4], r[5], r[6], r[7] = alpha*c4, alpha*c5, alpha*c6, alpha*c7
				continue
			}
			r[0] = alpha*c0 + beta*r[0]
			r[1] = alpha*c1 + beta*r[1]
			r[2] = alpha*c2 + beta*r[2]
			r[3] = alpha*c3 + beta*r[3]
			r[4] = alpha*c4 + beta*r[4]
			r[5] = alpha*c5 + beta*r[5]
			r[6] = alpha*c6 + beta*r[6]
			r[7] = alpha*c7 + beta*r[7]
		}
	}
}
