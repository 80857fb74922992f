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
	"os"
	"path"
	"path/filepath"
	"strings"

	"keyuan/models"
)

// What can be wrong with a file given to restore. Each error's text says
// it in words for the person at the command line.
var (
	ErrNotBackup   = errors.New("this file is not a Keyuan backup")
	ErrTruncated   = errors.New("this backup file is incomplete (cut short, e.g. by an interrupted copy or download)")
	ErrDamaged     = errors.New("this backup file is damaged")
	ErrNewerSchema = errors.New("this backup was made by a newer version of Keyuan")
)

// Extract unpacks an archive into dir (which must be empty) and checks all
// of it: every entry's SHA-256 against the manifest, the database's
// integrity, and that its schema is not newer than this program's. It
// returns the manifest; on any error dir may hold parts and the caller
// removes it.
func Extract(ctx context.Context, archive, dir string) (Manifest, error) {
	var m Manifest
	f, err := os.Open(archive)
	if err != nil {
		return m, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return m, err
	} else if st.IsDir() {
		return m, fmt.Errorf("%w: %s is a folder", ErrNotBackup, archive)
	}
	// A gzip file starts with 1f 8b: anything else is not ours at all,
	// however short it is.
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 0 {
		return m, fmt.Errorf("%w: the file is empty", ErrTruncated)
	} else if n < 2 && magic[0] == 0x1f || n == 2 && magic == [2]byte{0x1f, 0x8b} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return m, err
		}
	} else {
		return m, fmt.Errorf("%w (it is not a .tar.gz file)", ErrNotBackup)
	}
	zr, err := gzip.NewReader(f)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return m, fmt.Errorf("%w: the file is too short", ErrTruncated)
	}
	if err != nil {
		return m, fmt.Errorf("%w (it is not a .tar.gz file)", ErrNotBackup)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	sums := map[string]FileSum{}
	var manifest []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, readErr(err)
		}
		name := h.Name
		if name == manifestName {
			if h.Size > 16<<20 {
				return m, fmt.Errorf("%w: its manifest is too large", ErrNotBackup)
			}
			if manifest, err = io.ReadAll(tr); err != nil {
				return m, readErr(err)
			}
			continue
		}
		clean := path.Clean(name)
		ok := clean == name && h.Typeflag == tar.TypeReg &&
			(name == dbName || strings.HasPrefix(name, filesDir+"/") && !strings.Contains(name, ".."))
		if !ok {
			return m, fmt.Errorf("%w: it holds %q, which a Keyuan backup never does", ErrNotBackup, name)
		}
		if _, dup := sums[name]; dup {
			return m, fmt.Errorf("%w: it holds %q twice", ErrNotBackup, name)
		}
		sum, err := extractFile(ctx, tr, filepath.Join(dir, filepath.FromSlash(name)), name)
		if err != nil {
			return m, err
		}
		sums[name] = sum
	}
	// A whole gzip stream ends with a checksum of its own; reading to its
	// end is what checks it.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return m, readErr(err)
	}
	if manifest == nil {
		if len(sums) > 0 {
			return m, fmt.Errorf("%w: its manifest is missing", ErrTruncated)
		}
		return m, fmt.Errorf("%w: it has no manifest", ErrNotBackup)
	}
	if err := json.Unmarshal(manifest, &m); err != nil || m.App != appTag {
		return m, fmt.Errorf("%w: its manifest is not Keyuan's", ErrNotBackup)
	}
	if m.Format > Format {
		return m, fmt.Errorf("%w (archive format %d; this program reads up to %d)", ErrNewerSchema, m.Format, Format)
	}
	known, err := models.KnownSchemaVersion()
	if err != nil {
		return m, err
	}
	if m.SchemaVersion > known {
		return m, fmt.Errorf("%w (database schema %d; this program knows up to %d): use that version or a newer one",
			ErrNewerSchema, m.SchemaVersion, known)
	}
	want := append([]FileSum{m.Database}, m.Files...)
	if m.Database.Name != dbName {
		return m, fmt.Errorf("%w: its manifest names no database", ErrNotBackup)
	}
	for _, w := range want {
		got, ok := sums[w.Name]
		if !ok {
			return m, fmt.Errorf("%w: %s is missing from it", ErrDamaged, w.Name)
		}
		if got.Size != w.Size || got.SHA256 != w.SHA256 {
			return m, fmt.Errorf("%w: %s does not match its checksum", ErrDamaged, w.Name)
		}
		delete(sums, w.Name)
	}
	for name := range sums {
		return m, fmt.Errorf("%w: %s is not in its manifest", ErrDamaged, name)
	}
	info, err := models.InspectFile(ctx, filepath.Join(dir, dbName))
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if info.SchemaVersion != m.SchemaVersion {
		return m, fmt.Errorf("%w: its database is at schema %d, its manifest says %d", ErrDamaged, info.SchemaVersion, m.SchemaVersion)
	}
	return m, nil
}

func extractFile(ctx context.Context, r io.Reader, dest, name string) (FileSum, error) {
	sum := FileSum{Name: name}
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return sum, err
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return sum, readErr(err)
	}
	if err := f.Sync(); err != nil {
		return sum, err
	}
	sum.Size, sum.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return sum, f.Close()
}

// readErr names a failure to read the archive.
func readErr(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTruncated
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err // our own disk, not the archive
	}
	return fmt.Errorf("%w: %v", ErrDamaged, err)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
