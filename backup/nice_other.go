//go:build !linux

package backup

// niced runs fn; only Linux lowers one thread's priority.
func niced(_ int, fn func() error) error { return fn() }
