package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyuan/models"
)

// stoppedData is a data folder with n customers, a search index folder and
// an attachment, whose server has stopped; and one good backup of it.
func stoppedData(t *testing.T, n int) (dir, archive string, admin models.Actor) {
	t.Helper()
	dir, db, admin := newData(t, n)
	for _, p := range []string{"search/store", "files"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "search", "store", "root.bolt"), []byte("index"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "a.txt"), []byte("附件"), 0o640); err != nil {
		t.Fatal(err)
	}
	archive = filepath.Join(t.TempDir(), ArchiveName(testNow))
	if _, err := Create(context.Background(), Options{DataDir: dir, Dest: archive, AppVersion: "test", Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, archive, admin
}

// tree is every file under dir with its SHA-256, but the backup lock.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "backup.lock" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rewrite copies an archive entry by entry through edit, which may change
// an entry's body (nil drops it); extra entries are appended.
func rewrite(t *testing.T, src, dst string, edit func(name string, body []byte) []byte, extra map[string][]byte) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(zr)
	put := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if body = edit(h.Name, body); body != nil {
			put(h.Name, body)
		}
	}
	for name, body := range extra {
		put(name, body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
}

func editManifest(t *testing.T, change func(m *Manifest)) func(string, []byte) []byte {
	return func(name string, body []byte) []byte {
		if name != manifestName {
			return body
		}
		var m Manifest
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		change(&m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// TestRestoreRefusesBadFiles: a truncated, garbage, foreign, tampered or
// newer-schema file is refused with a message that says which, and the
// current data is left exactly as it was.
func TestRestoreRefusesBadFiles(t *testing.T) {
	t.Parallel()
	dir, good, _ := stoppedData(t, 20)
	bad := t.TempDir()
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	known, err := models.KnownSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
		return p
	}
	path := func(name string) string { return filepath.Join(bad, name) }
	rewrite(t, good, path("newer.tar.gz"), editManifest(t, func(m *Manifest) { m.SchemaVersion = known + 1 }), nil)
	rewrite(t, good, path("newformat.tar.gz"), editManifest(t, func(m *Manifest) { m.Format = Format + 1 }), nil)
	rewrite(t, good, path("tampered.tar.gz"), func(name string, b []byte) []byte {
		if name == dbName {
			b[len(b)/2] ^= 0xff
		}
		return b
	}, nil)
	rewrite(t, good, path("nomanifest.tar.gz"), func(name string, b []byte) []byte {
		if name == manifestName {
			return nil
		}
		return b
	}, nil)
	rewrite(t, good, path("extra.tar.gz"), func(_ string, b []byte) []byte { return b }, map[string][]byte{"../../etc/cron.d/x": []byte("x")})
	rewrite(t, good, path("foreign.tar.gz"), func(string, []byte) []byte { return nil }, map[string][]byte{"photos/cat.jpg": []byte("jpeg")})
	// The manifest of another program that also calls its database keyuan.db.
	rewrite(t, good, path("otherapp.tar.gz"), editManifest(t, func(m *Manifest) { m.App = "somebody-else" }), nil)

	cases := []struct {
		file string
		want error
		says string
	}{
		{write("half.tar.gz", raw[:len(raw)/2]), ErrTruncated, "incomplete"},
		{write("short.tar.gz", raw[:len(raw)-9]), ErrTruncated, "incomplete"},
		{write("empty.tar.gz", nil), ErrTruncated, "incomplete"},
		{write("garbage.tar.gz", bytes.Repeat([]byte("客源"), 5000)), ErrNotBackup, "not a Keyuan backup"},
		{write("notes.txt", []byte("hello\n")), ErrNotBackup, "not a Keyuan backup"},
		{path("foreign.tar.gz"), ErrNotBackup, "photos/cat.jpg"},
		{path("extra.tar.gz"), ErrNotBackup, "never does"},
		{path("otherapp.tar.gz"), ErrNotBackup, "not Keyuan's"},
		{path("nomanifest.tar.gz"), ErrTruncated, "manifest is missing"},
		{path("tampered.tar.gz"), ErrDamaged, "checksum"},
		{path("newer.tar.gz"), ErrNewerSchema, "newer version of Keyuan"},
		{path("newformat.tar.gz"), ErrNewerSchema, "newer version of Keyuan"},
		{filepath.Join(bad, "missing.tar.gz"), fs.ErrNotExist, "no such file"},
		{bad, ErrNotBackup, "is a folder"},
	}
	before := tree(t, dir)
	for _, c := range cases {
		_, err := Restore(context.Background(), c.file, dir, testNow)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("restore %s: %v; want %v saying %q", filepath.Base(c.file), err, c.want, c.says)
		}
	}
	after := tree(t, dir)
	if len(after) != len(before) {
		t.Errorf("the data folder changed: %d files before, %d after: %v", len(before), len(after), after)
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed or went", name)
		}
	}
	// What a refused restore unpacked is gone too.
	if left, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestRestore: the restored folder holds the backup's data, the data it
// replaced is moved aside whole, and the search index is gone so that the
// next start rebuilds it.
func TestRestore(t *testing.T) {
	t.Parallel()
	dir, archive, admin := stoppedData(t, 20)
	ctx := context.Background()
	// After the backup, the business goes on: one more customer, which the
	// restore takes back and the folder moved aside keeps.
	db, err := models.Open(ctx, filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	late := addCustomer(t, db, admin, "备份之后有限公司")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)

	res, err := Restore(ctx, archive, dir, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Counts["customers"] != 20 || res.MovedAside == "" {
		t.Fatalf("restore result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "search")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the search index is still there (%v): the next start would not rebuild it", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "files", "a.txt"))
	if err != nil || string(got) != "附件" {
		t.Errorf("restored attachment %q, %v", got, err)
	}
	aside := tree(t, res.MovedAside)
	for name, sum := range before {
		if aside[name] != sum {
			t.Errorf("%s was not moved aside intact", name)
		}
	}

	db, err = models.Open(ctx, filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.CountCustomers(ctx); err != nil || n != 20 {
		t.Errorf("restored database has %d customers (%v), want 20", n, err)
	}
	if _, err := db.GetCustomer(ctx, admin, "customer", late); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the customer added after the backup: %v, want not found", err)
	}
	old, err := models.Open(ctx, filepath.Join(res.MovedAside, dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.GetCustomer(ctx, admin, "customer", late); err != nil {
		t.Errorf("the data moved aside lost the late customer: %v", err)
	}
}
