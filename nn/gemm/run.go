package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Block sizes. MR×NR 6×16 (float32) and 6×8 (float64) are BLIS's Haswell
// micro-tiles: 12 ymm accumulators plus 2 for B and 2 for broadcasts of A
// fill the 16 AVX2 registers. KC keeps an A micro-panel plus a B micro-panel
// ((6+16)·256·4 B = 22 KiB) within a 32 KiB L1; MC·KC fills a fraction of L2
// (144·256·4 B = 144 KiB); NC only bounds the packed B block, which at these
// sizes stays in L2/L3. KC 256, NC 4080 and dgemm's MC 72 are BLIS's Haswell
// defaults; sgemm's MC is 144 rather than BLIS's 168 to be a multiple of 6.
// A sweep of KC in 128..512 and MC in 48..288 at n = 256 and 1024 on an
// AMD EPYC (Zen 4) core, on a shared and noisy machine, found no setting
// better than these by more than the run-to-run noise (about ±10%), except
// that MC ≥ 288 was clearly slower for float64.
var (
	sgemmCfg = config[float32]{
		mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080,
		asm:  sgemmAsm,
		gemv: sgemv,
		portable: func(kc int, a, b, c *float32, ldc int, alpha, beta float32, loadC int) {
			goKernel(6, 16, kc, a, b, c, ldc, alpha, beta, loadC)
		},
	}
	dgemmCfg = config[float64]{
		mr: 6, nr: 8, mc: 72, kc: 256, nc: 4080,
		asm:  dgemmAsm,
		gemv: dgemv,
		portable: func(kc int, a, b, c *float64, ldc int, alpha, beta float64, loadC int) {
			goKernel(6, 8, kc, a, b, c, ldc, alpha, beta, loadC)
		},
	}
)

// minParallelFlops is the smallest 2·m·n·k worth handing to other
// goroutines; below it the hand-off and the second packing of B cost more
// than they save (256×17·17×256, 2.2 MFLOP, ran at 77 GFLOP/s on two
// threads against 85 on one).
const minParallelFlops = 2 * 128 * 128 * 128

// maxThreads bounds the worker goroutines one process keeps.
const maxThreads = 64

// run multiplies on the calling goroutine, or splits C into up to threads
// row (or column) strips, each a whole serial product of its own, which the
// caller and the worker goroutines claim one at a time.
func run[T float](cfg *config[T], threads int, aT, bT bool, m, n, k int, alpha T,
	a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if viaGemv(cfg.gemv, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	threads = min(threads, maxThreads)
	if threads <= 1 || 2*int64(m)*int64(n)*int64(k) < minParallelFlops {
		s := cfg.getScratch()
		gemm(cfg, s, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		cfg.scratch.Put(s)
		return
	}
	j, ok := cfg.jobs.Get().(*job[T])
	if !ok {
		j = new(job[T])
	}
	j.args = args[T]{cfg: cfg, aT: aT, bT: bT, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	// Split the longer side of C, in whole micro-tiles, so strips stay fat.
	j.rows = m >= n
	size, unit := n, cfg.nr
	if j.rows {
		size, unit = m, cfg.mr
	}
	tiles := (size + unit - 1) / unit
	parts := min(threads, tiles)
	for i := 0; i <= parts; i++ {
		j.bounds[i] = min(size, tiles*i/parts*unit)
	}
	j.wg.Add(parts)
	gen := generation.Add(1)
	j.state.Store(uint64(gen)<<32 | uint64(parts)<<16) // publishes args to claimers
	ensureWorkers(parts - 1)
	for range parts - 1 {
		select {
		case work <- task{j, gen}:
		default: // queue full: the caller claims that strip itself
		}
	}
	// The caller works too: a worker that the OS is slow to wake (tens to
	// hundreds of µs on a busy VM) then costs nothing, since whatever strip
	// it has not claimed yet, the caller does.
	j.help(gen)
	j.wg.Wait()
	j.args = args[T]{} // drop references to the caller's slices
	cfg.jobs.Put(j)
}

// args are one call's operands.
type args[T float] struct {
	cfg     *config[T]
	aT, bT  bool
	m, n, k int
	alpha   T
	a       []T
	lda     int
	b       []T
	ldb     int
	beta    T
	c       []T
	ldc     int
	rows    bool // strips of rows (else of columns)
	bounds  [maxThreads + 1]int
}

// job is one split call; it lives in a pool so splitting allocates nothing.
// A task may reach a worker after its call has returned and the job has
// been reused, so claims go through state, which names the call: the
// generation (high 32 bits), the strip count (bits 16..31) and the next
// unclaimed strip (low 16 bits). A stale claimer sees another generation
// and leaves without touching args.
type job[T float] struct {
	args[T]
	state atomic.Uint64
	wg    sync.WaitGroup // one count per strip
}

// generation numbers split calls, for job.state.
var generation atomic.Uint32

// help claims and multiplies strips of call gen until none are left.
func (j *job[T]) help(gen uint32) {
	for {
		v := j.state.Load()
		i, parts := int(v&0xffff), int(v>>16&0xffff)
		if uint32(v>>32) != gen || i >= parts {
			return
		}
		if j.state.CompareAndSwap(v, v+1) {
			j.runPart(i)
			j.wg.Done()
		}
	}
}

// runPart multiplies strip i.
func (j *job[T]) runPart(i int) {
	lo, hi := j.bounds[i], j.bounds[i+1]
	a, b, c, m, n := j.a, j.b, j.c, j.m, j.n
	if j.rows {
		m = hi - lo
		c = c[lo*j.ldc:]
		if j.aT {
			a = a[lo:]
		} else {
			a = a[lo*j.lda:]
		}
	} else {
		n = hi - lo
		c = c[lo:]
		if j.bT {
			b = b[lo*j.ldb:]
		} else {
			b = b[lo:]
		}
	}
	if m > 0 && n > 0 {
		s := j.cfg.getScratch()
		gemm(j.cfg, s, j.aT, j.bT, m, n, j.k, j.alpha, a, j.lda, b, j.ldb, j.beta, c, j.ldc)
		j.cfg.scratch.Put(s)
	}
}

// task asks a worker to help with call gen of job j; the interface holds a
// pointer, so sending it does not allocate.
type task struct {
	j   interface{ help(gen uint32) }
	gen uint32
}

var (
	// work is buffered so that handing out tasks never blocks the caller.
	work      = make(chan task, 4*maxThreads)
	workersMu sync.Mutex
	workers   int
)

// spinFor is how long an idle worker keeps polling for work before it
// parks. Waking a parked goroutine's thread took 30-250 µs on the 2-core VM
// this was tuned on, as long as a whole 256×256 strip; a worker that is
// still polling starts at once. Back-to-back products (a training step)
// keep the workers polling; an idle program stops them within spinFor.
const spinFor = 100 * time.Microsecond

// ensureWorkers starts persistent worker goroutines until there are n.
// Workers never exit; there are at most maxThreads of them.
func ensureWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workers < n; workers++ {
		go func() {
			for {
				t := nextTask()
				t.j.help(t.gen)
			}
		}()
	}
}

// nextTask polls the work queue for up to spinFor, yielding the processor
// between polls, then blocks on it.
func nextTask() task {
	start := time.Now()
	for spin := 0; ; spin++ {
		select {
		case t := <-work:
			return t
		default:
		}
		if spin%16 == 15 && time.Since(start) > spinFor {
			return <-work
		}
		runtime.Gosched()
	}
}
