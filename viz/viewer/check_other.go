//go:build !linux

package viewer

// CheckDisplay returns nil: on systems other than Linux the window system
// is part of the desktop session, and ebiten reports its own errors.
func CheckDisplay() error { return nil }
