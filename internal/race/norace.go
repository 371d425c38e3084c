//go:build !race

// Package race reports whether the binary was built with -race. Tests of
// "no allocations" skip under it: the race detector makes sync.Pool drop
// items on purpose, so pooled scratch space is made again.
package race

// Enabled is true in a -race build.
const Enabled = false
