// Package backup makes and restores Keyuan's backups: one .tar.gz archive
// per backup holding a consistent snapshot of the database (taken while the
// server writes), the files the database refers to (<data>/files/, once
// there are attachments) and a manifest with checksums. The search index is
// not in it: it is derived from the database and rebuilt after a restore.
//
// An archive is written under a temporary name and renamed only when it is
// complete and synced, so a backup that is killed half-way leaves no file
// that looks like a backup.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"keyuan/models"
)

// Names inside an archive and in the data folder.
const (
	dbName       = "keyuan.db"
	filesDir     = "files"
	manifestName = "manifest.json"
	// Format is the archive layout's version; a restore refuses a newer one.
	Format = 1
	appTag = "keyuan-crm"
)

// Manifest describes an archive. It is its last entry, so an archive cut
// short has none and is refused.
type Manifest struct {
	App           string           `json:"app"`
	Format        int              `json:"format"`
	AppVersion    string           `json:"app_version"`
	SchemaVersion int              `json:"schema_version"`
	CreatedAt     time.Time        `json:"created_at"`
	Counts        map[string]int64 `json:"counts"`
	Database      FileSum          `json:"database"`
	Files         []FileSum        `json:"files,omitempty"`
}

// FileSum is one file of an archive with its size and SHA-256.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Phase names what a running backup is doing, for its progress bar.
type Phase string

const (
	PhaseSnapshot Phase = "snapshot"
	PhaseVerify   Phase = "verify"
	PhaseArchive  Phase = "archive"
	PhaseCopy     Phase = "copy"
)

// Phases are all the phases, "" (not started yet) included, for the
// translations test.
var Phases = []string{"", string(PhaseSnapshot), string(PhaseVerify), string(PhaseArchive), string(PhaseCopy)}

// Progress is where a running backup is: its phase and, while archiving,
// the bytes written of the total.
type Progress struct {
	Phase Phase
	Done  int64
	Total int64
}

// Options says what Create backs up and where.
type Options struct {
	DataDir string
	// Database is the database file; DataDir/keyuan.db when empty.
	Database   string
	Dest       string // the archive to write; must not exist
	AppVersion string
	Now        time.Time
	// Level is the gzip level; 0 means gzip.BestSpeed: the database is
	// most of the archive and the fastest level already halves it.
	Level    int
	Progress func(Progress)
	// Nice, from 1 to 19, runs the backup at a lower CPU priority, so that
	// the server's requests go first; 0 leaves it as it is.
	Nice int
	// failAfter, in tests, makes the archive writer fail after that many
	// bytes, as a full disk or a crash would.
	failAfter int64
}

// DefaultNice is the priority the server's and the command line's backups
// run at: below the server's requests (BENCHMARKS.md, issue 12).
const DefaultNice = 10

// tempPrefix starts every name a backup or restore works under; such names
// are never listed and are cleared by the next run.
const tempPrefix = ".keyuan-tmp-"

// Create writes one backup archive to opt.Dest and returns its manifest.
// The snapshot is checked with PRAGMA integrity_check before it is packed.
// Callers hold the backup lock (see Lock).
func Create(ctx context.Context, opt Options) (m Manifest, err error) {
	err = niced(opt.Nice, func() error {
		m, err = create(ctx, opt)
		return err
	})
	return m, err
}

func create(ctx context.Context, opt Options) (Manifest, error) {
	var m Manifest
	progress := opt.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	if _, err := os.Stat(opt.Dest); err == nil {
		return m, fmt.Errorf("backup: %s exists already", opt.Dest)
	}
	destDir := filepath.Dir(opt.Dest)
	if err := os.MkdirAll(destDir, 0o750); err != nil {
		return m, err
	}
	// The work folder is beside the archive, on the same file system, so
	// the finished archive is renamed into place, never copied.
	work, err := os.MkdirTemp(destDir, tempPrefix)
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(work)

	progress(Progress{Phase: PhaseSnapshot})
	snap := filepath.Join(work, dbName)
	src := opt.Database
	if src == "" {
		src = filepath.Join(opt.DataDir, dbName)
	}
	if err := models.SnapshotFile(ctx, src, snap); err != nil {
		return m, err
	}
	progress(Progress{Phase: PhaseVerify})
	info, err := models.InspectFile(ctx, snap)
	if err != nil {
		return m, fmt.Errorf("backup: the snapshot failed its check: %w", err)
	}
	m = Manifest{App: appTag, Format: Format, AppVersion: opt.AppVersion, SchemaVersion: info.SchemaVersion,
		CreatedAt: opt.Now.UTC(), Counts: info.Counts}

	type source struct{ path, name string }
	sources := []source{{snap, dbName}}
	total := int64(0)
	if st, err := os.Stat(snap); err == nil {
		total += st.Size()
	}
	filesRoot := filepath.Join(opt.DataDir, filesDir)
	err = filepath.WalkDir(filesRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == filesRoot {
				return nil // no attachments yet
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(opt.DataDir, p)
		if err != nil {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		total += st.Size()
		sources = append(sources, source{p, filepath.ToSlash(rel)})
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("backup: list %s: %w", filesRoot, err)
	}

	tmpArchive := filepath.Join(work, "archive.tar.gz")
	f, err := os.OpenFile(tmpArchive, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return m, err
	}
	defer f.Close()
	var out io.Writer = f
	if opt.failAfter > 0 {
		out = &failingWriter{w: f, left: opt.failAfter}
	}
	level := opt.Level
	if level == 0 {
		level = gzip.BestSpeed
	}
	zw, err := gzip.NewWriterLevel(out, level)
	if err != nil {
		return m, err
	}
	tw := tar.NewWriter(zw)
	done := int64(0)
	for _, s := range sources {
		sum, err := addFile(ctx, tw, s.path, s.name, opt.Now, func(n int64) {
			done += n
			progress(Progress{Phase: PhaseArchive, Done: done, Total: total})
		})
		if err != nil {
			return m, fmt.Errorf("backup: %s: %w", s.name, err)
		}
		if s.name == dbName {
			m.Database = sum
		} else {
			m.Files = append(m.Files, sum)
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o640, Size: int64(len(body)), ModTime: opt.Now,
		Typeflag: tar.TypeReg}); err != nil {
		return m, err
	}
	if _, err := tw.Write(body); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	if err := zw.Close(); err != nil {
		return m, err
	}
	// Synced before the rename, and the folder after it: a power cut then
	// leaves either no archive or a whole one, never a name over holes.
	if err := f.Sync(); err != nil {
		return m, err
	}
	if err := f.Close(); err != nil {
		return m, err
	}
	if err := os.Rename(tmpArchive, opt.Dest); err != nil {
		return m, err
	}
	if err := syncDir(destDir); err != nil {
		return m, err
	}
	return m, nil
}

// addFile copies one file into the archive, hashing it on the way.
func addFile(ctx context.Context, tw *tar.Writer, path, name string, mod time.Time, wrote func(int64)) (FileSum, error) {
	sum := FileSum{Name: name}
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sum, err
	}
	sum.Size = st.Size()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: st.Size(), ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return sum, err
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	// Exactly the size in the header: a file that shrank meanwhile is an
	// error, one that grew is cut at the size it had.
	r := io.LimitReader(f, st.Size())
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := tw.Write(buf[:n]); werr != nil {
				return sum, werr
			}
			wrote(int64(n))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, err
		}
	}
	sum.SHA256 = hex.EncodeToString(h.Sum(nil))
	return sum, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// failingWriter fails after a number of bytes, as a full disk would.
type failingWriter struct {
	w    io.Writer
	left int64
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, errors.New("injected write failure")
	}
	f.left -= int64(len(p))
	return f.w.Write(p)
}

// ArchiveName is the file name of a backup made at t: sortable, in UTC so a
// change of time zone or summer time never reorders them.
func ArchiveName(t time.Time) string {
	return "keyuan-" + t.UTC().Format("20060102-150405") + "Z.tar.gz"
}

// ParseArchiveName reads the time back from an archive's name; ok is false
// for any other file (temporary ones included).
func ParseArchiveName(name string) (t time.Time, ok bool) {
	s, found := strings.CutPrefix(name, "keyuan-")
	if !found {
		return t, false
	}
	s, found = strings.CutSuffix(s, "Z.tar.gz")
	if !found {
		return t, false
	}
	t, err := time.Parse("20060102-150405", s)
	return t, err == nil
}
