//go:build !unix

package main

// replaceProcess does nothing where a process cannot replace itself; the
// window program then runs as a child.
func replaceProcess(string, []string) error { return nil }
