package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrBusy is a backup or restore asked for while another one runs.
var ErrBusy = errors.New("a backup or restore of this data folder is running already")

// Lock takes the backup lock of a data folder, <data>/backup.lock, without
// waiting. It is not the server's lock (keyuan.lock): a backup runs beside
// the server; this lock only keeps backups (the nightly job, "back up now",
// the command line) and restores from running at the same time. An flock
// goes with its process however it ends, so a killed backup never leaves
// the lock behind; and since it belongs to the open file, two runs in one
// process exclude each other too.
func Lock(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "backup.lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("backup lock: %w", err)
	}
	return func() { f.Close() }, nil
}
