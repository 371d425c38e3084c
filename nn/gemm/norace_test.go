//go:build !race

package gemm

// raceEnabled reports a -race build, under which sync.Pool randomly drops
// items on purpose.
const raceEnabled = false
