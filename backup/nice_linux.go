package backup

import (
	"runtime"
	"syscall"
)

// niced runs fn at a lower CPU priority (nice 1–19), so that a backup
// taken in working hours leaves the processor to the server's requests:
// checking a large snapshot's integrity keeps a core busy for a while. fn
// runs in a goroutine locked to its own thread, and Linux gives a thread
// its own priority. The goroutine never unlocks, so the thread ends with it
// and its lower priority never reaches other work.
func niced(nice int, fn func() error) error {
	if nice <= 0 {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Without the right to change it the backup runs at normal priority:
		// slower requests meanwhile, nothing worse.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
		done <- fn()
	}()
	return <-done
}
