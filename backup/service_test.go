package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServiceKeepsDaysAndCopies: each run writes an archive to both
// folders; archives older than KeepDays go from both; the lock and the
// running flag keep two runs apart.
func TestServiceKeepsDaysAndCopies(t *testing.T) {
	t.Parallel()
	dir, _, _ := newData(t, 5)
	nas := filepath.Join(t.TempDir(), "nas")
	now := testNow
	svc := NewService(Config{DataDir: dir, CopyTo: nas, KeepDays: 3, AppVersion: "test"}, func() time.Time { return now })

	var names []string
	for day := range 5 {
		now = testNow.Add(time.Duration(day) * 24 * time.Hour)
		res, err := svc.Run(context.Background())
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if !strings.Contains(res, "copied to "+nas) {
			t.Errorf("day %d result %q", day, res)
		}
		names = append(names, ArchiveName(now))
	}
	// Day 4: days 0 and 1 are older than three days and gone.
	for _, d := range []string{svc.Config().Dir, nas} {
		list, err := listDir(d)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Name)
		}
		want := []string{names[4], names[3], names[2]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s holds %v, want %v", d, got, want)
		}
	}
	if p, running := svc.Progress(); running || p.Phase != "" {
		t.Errorf("after the runs: progress %+v running %v", p, running)
	}

	// Another process's backup (the command line) holds the lock.
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := svc.Run(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("run beside a locked backup: %v", err)
	}
	release()

	// Names that are not a listed archive are refused, also with a path.
	for _, bad := range []string{"../keyuan.db", "keyuan.db", "keyuan-20261203-183000Z.tar.gz/../../keyuan.db",
		"keyuan-20991203-183000Z.tar.gz", ""} {
		if _, err := svc.Path(bad); !errors.Is(err, ErrNoArchive) {
			t.Errorf("Path(%q): %v", bad, err)
		}
	}
	if err := svc.Delete(names[2]); err != nil {
		t.Fatal(err)
	}
	if list, _ := svc.List(); len(list) != 2 {
		t.Errorf("after a delete: %v", list)
	}
	if _, err := os.Stat(filepath.Join(nas, names[2])); err != nil {
		t.Errorf("delete also removed the copy on the second folder: %v", err)
	}
	if free, err := svc.FreeSpace(); err != nil || free == 0 {
		t.Errorf("free space %d, %v", free, err)
	}
}
