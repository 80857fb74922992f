package backup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The child process of TestKilledBackupLeavesNoArchive: it runs the
// service's backup of the data folder named by KEYUAN_BACKUP_CHILD and, at
// the point named by KEYUAN_BACKUP_KILL_AT, says so in a file and waits to
// be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("KEYUAN_BACKUP_CHILD"); dir != "" {
		os.Exit(backupChild(dir, os.Getenv("KEYUAN_BACKUP_KILL_AT")))
	}
	os.Exit(m.Run())
}

func backupChild(dir, at string) int {
	ready := filepath.Join(dir, "child-ready")
	stop := func() {
		if err := os.WriteFile(ready, nil, 0o640); err != nil {
			panic(err)
		}
		select {} // until SIGKILL
	}
	svc := NewService(Config{DataDir: dir, AppVersion: "child"}, func() time.Time { return testNow })
	// The progress callback runs inside Create, so stopping there stops
	// the backup exactly at that point.
	svc.onProgress = func(p Progress) {
		switch {
		case at == "verify" && p.Phase == PhaseVerify,
			at == "archive" && p.Phase == PhaseArchive && p.Done > p.Total/3,
			at == "packed" && p.Phase == PhaseArchive && p.Done == p.Total:
			stop()
		}
	}
	if _, err := svc.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKilledBackupLeavesNoArchive kills a backup (SIGKILL, in a child
// process) while it snapshots, while it packs and once the archive is
// packed but not yet renamed: no archive is listed, what it left is not
// taken for a backup by restore, and the next backup clears it and works.
func TestKilledBackupLeavesNoArchive(t *testing.T) {
	t.Parallel()
	dir, db, _ := newData(t, 50)
	// A large attachment makes the packing long enough to stop in.
	big := make([]byte, 6<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, filesDir), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filesDir, "scan.bin"), big, 0o640); err != nil {
		t.Fatal(err)
	}
	svc := NewService(Config{DataDir: dir, AppVersion: "test"}, func() time.Time { return testNow })

	for _, at := range []string{"verify", "archive", "packed"} {
		ready := filepath.Join(dir, "child-ready")
		os.Remove(ready)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KEYUAN_BACKUP_CHILD="+dir, "KEYUAN_BACKUP_KILL_AT="+at)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		reached := false
		for i := 0; i < 3000 && !reached; i++ {
			select {
			case err := <-exited:
				t.Fatalf("%s: the child ended before the kill point: %v\n%s", at, err, stderr.String())
			default:
			}
			_, err := os.Stat(ready)
			reached = err == nil
			if !reached {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if !reached {
			cmd.Process.Kill()
			t.Fatalf("%s: the child never reached the kill point\n%s", at, stderr.String())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited

		if list, err := svc.List(); err != nil || len(list) != 0 {
			t.Fatalf("%s: after the kill the list holds %v (%v)", at, list, err)
		}
		// Whatever it left (its work folder) is nothing restore accepts.
		left, _ := filepath.Glob(filepath.Join(svc.Config().Dir, tempPrefix+"*", "*"))
		if len(left) == 0 {
			t.Errorf("%s: the killed backup left nothing: was it killed mid-way?", at)
		}
		for _, p := range left {
			_, err := Extract(context.Background(), p, t.TempDir())
			if err == nil {
				t.Errorf("%s: %s, left by the killed backup, was accepted as a backup", at, filepath.Base(p))
			}
			t.Logf("killed at %s: %s refused: %v", at, filepath.Base(p), err)
		}
	}
	// The database the killed backups read is unharmed and the next backup
	// clears their leftovers and works.
	if _, err := db.CountCustomers(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Run(context.Background()); err != nil {
		t.Fatalf("backup after the kills: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(svc.Config().Dir, tempPrefix+"*")); len(left) > 0 {
		t.Errorf("leftovers not cleared: %v", left)
	}
	list, err := svc.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("after a good backup: %v, %v", list, err)
	}
	m, err := Extract(context.Background(), filepath.Join(svc.Config().Dir, list[0].Name), t.TempDir())
	if err != nil || len(m.Files) != 1 || m.Files[0].Size != int64(len(big)) {
		t.Errorf("the good backup: %+v, %v", m, err)
	}
}

// TestFailedBackupLeavesNoArchive: a write that fails half-way (a full
// disk) fails the run with its reason and leaves no file behind at all.
func TestFailedBackupLeavesNoArchive(t *testing.T) {
	t.Parallel()
	dir, _, _ := newData(t, 200)
	dest := filepath.Join(dir, "backups", ArchiveName(testNow))
	_, err := Create(context.Background(), Options{DataDir: dir, Dest: dest, Now: testNow, failAfter: 20 << 10})
	if err == nil || !strings.Contains(err.Error(), "injected write failure") {
		t.Fatalf("Create with a failing disk: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "backups"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a failed backup left %v", entries)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the archive exists after a failure: %v", err)
	}
}
