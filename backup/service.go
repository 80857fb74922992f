package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"keyuan/models"
)

// Config is how the server backs up: the nightly job and "back up now".
type Config struct {
	DataDir string
	// Database is the database file; DataDir/keyuan.db when empty.
	Database string
	// Dir holds the archives; <data>/backups by default.
	Dir string
	// CopyTo is an optional second folder (a mounted NAS, another disk)
	// each new archive is copied to.
	CopyTo string
	// KeepDays is how many days of archives are kept, in both folders.
	KeepDays   int
	AppVersion string
}

// DefaultKeepDays is how long archives are kept unless configured.
const DefaultKeepDays = 14

// Service makes the server's backups and lists them. One backup runs at a
// time: in the process (the job's own flag) and across processes (the
// backup lock, which the command line takes too).
type Service struct {
	cfg Config
	now func() time.Time

	mu       sync.Mutex
	running  bool
	progress Progress
	// onProgress, in tests, sees every progress report of a run.
	onProgress func(Progress)
}

// NewService returns the backup service; now is the application's clock.
func NewService(cfg Config, now func() time.Time) *Service {
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(cfg.DataDir, "backups")
	}
	if cfg.KeepDays <= 0 {
		cfg.KeepDays = DefaultKeepDays
	}
	return &Service{cfg: cfg, now: now}
}

// Config returns the service's settings.
func (s *Service) Config() Config { return s.cfg }

// Progress reports whether a backup runs and how far it is.
func (s *Service) Progress() (Progress, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress, s.running
}

func (s *Service) setProgress(p Progress) {
	s.mu.Lock()
	s.progress = p
	s.mu.Unlock()
}

// Run makes one backup into Dir, copies it to CopyTo, and removes archives
// older than KeepDays. It is the nightly job's body; what it returns is the
// job's result line.
func (s *Service) Run(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return "", ErrBusy
	}
	s.running, s.progress = true, Progress{Phase: PhaseSnapshot}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running, s.progress = false, Progress{}
		s.mu.Unlock()
	}()
	release, err := Lock(s.cfg.DataDir)
	if err != nil {
		return "", err
	}
	defer release()
	// What a killed run left behind is cleared now that nobody else runs.
	clearTemp(s.cfg.Dir)
	if s.cfg.CopyTo != "" {
		clearTemp(s.cfg.CopyTo)
	}
	elapsed := models.Stopwatch()
	now := s.now()
	name := ArchiveName(now)
	dest := filepath.Join(s.cfg.Dir, name)
	if _, err := Create(ctx, Options{DataDir: s.cfg.DataDir, Database: s.cfg.Database, Dest: dest, AppVersion: s.cfg.AppVersion, Now: now,
		Nice: DefaultNice, Progress: func(p Progress) {
			s.setProgress(p)
			if s.onProgress != nil {
				s.onProgress(p)
			}
		}}); err != nil {
		return "", err
	}
	st, err := os.Stat(dest)
	if err != nil {
		return "", err
	}
	result := fmt.Sprintf("%s, %s, %s", name, SizeText(st.Size()), elapsed().Round(100*time.Millisecond))
	if s.cfg.CopyTo != "" {
		s.setProgress(Progress{Phase: PhaseCopy})
		if err := copyArchive(ctx, dest, filepath.Join(s.cfg.CopyTo, name)); err != nil {
			return "", fmt.Errorf("%s written, but the copy to %s failed: %w", name, s.cfg.CopyTo, err)
		}
		result += ", copied to " + s.cfg.CopyTo
	}
	removed := 0
	for _, dir := range []string{s.cfg.Dir, s.cfg.CopyTo} {
		if dir == "" {
			continue
		}
		n, err := s.prune(dir, now, name)
		removed += n
		if err != nil {
			return "", fmt.Errorf("%s written, but removing old backups from %s failed: %w", name, dir, err)
		}
	}
	if removed > 0 {
		result += fmt.Sprintf(", %d older than %d days removed", removed, s.cfg.KeepDays)
	}
	return result, nil
}

// prune removes the archives in dir older than KeepDays, never keep.
func (s *Service) prune(dir string, now time.Time, keep string) (int, error) {
	list, err := listDir(dir)
	if err != nil {
		return 0, err
	}
	// N days hold N nightly backups: the one made N days ago at about this
	// hour goes (an hour's slack for a run that started a little late).
	cutoff := now.Add(-time.Duration(s.cfg.KeepDays)*24*time.Hour + time.Hour)
	n := 0
	for _, a := range list {
		if a.Name == keep || a.Time.After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, a.Name)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// copyArchive copies a finished archive to another folder the same safe
// way it was written: a temporary name, synced, renamed.
func copyArchive(ctx context.Context, src, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dest), tempPrefix)
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	if _, err := io.Copy(out, ctxReader{ctx, in}); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(out.Name(), dest); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dest))
}

// Archive is one finished backup file.
type Archive struct {
	Name string
	Time time.Time
	Size int64
}

// SizeText is the size for people.
func (a Archive) SizeText() string { return SizeText(a.Size) }

// List returns the finished archives in Dir, newest first. Temporary files
// of a running or killed backup are never listed.
func (s *Service) List() ([]Archive, error) { return listDir(s.cfg.Dir) }

func listDir(dir string) ([]Archive, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Archive
	for _, e := range entries {
		t, ok := ParseArchiveName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Archive{Name: e.Name(), Time: t, Size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name })
	return out, nil
}

// ErrNoArchive is a name that is not one of the listed archives.
var ErrNoArchive = errors.New("no such backup")

// Path returns the file of a listed archive. Only names of the archive
// pattern, with no folder part, are accepted.
func (s *Service) Path(name string) (string, error) {
	if _, ok := ParseArchiveName(name); !ok || strings.ContainsAny(name, `/\`) {
		return "", ErrNoArchive
	}
	p := filepath.Join(s.cfg.Dir, name)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return "", ErrNoArchive
	}
	return p, nil
}

// Delete removes a listed archive from Dir (not from CopyTo: the second
// folder is the copy that survives a mistake here).
func (s *Service) Delete(name string) error {
	p, err := s.Path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	return syncDir(s.cfg.Dir)
}

// FreeSpace is the free space of the folder the archives go to (of the
// data folder while that does not exist yet).
func (s *Service) FreeSpace() (uint64, error) {
	dir := s.cfg.Dir
	if _, err := os.Stat(dir); err != nil {
		dir = s.cfg.DataDir
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// SizeText writes a size in bytes for people.
func SizeText(n int64) string {
	switch f := float64(n); {
	case f >= 1<<30:
		return fmt.Sprintf("%.1f GB", f/(1<<30))
	case f >= 1<<20:
		return fmt.Sprintf("%.1f MB", f/(1<<20))
	case f >= 1<<10:
		return fmt.Sprintf("%.0f KB", f/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
