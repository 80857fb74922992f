// Package static embeds the CSS, JavaScript and images, so the binary needs
// nothing from the internet. Every file is served under a URL that carries a
// hash of its content, so browsers may cache it for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
)

//go:embed *.css *.js *.svg vendor
var files embed.FS

// Assets maps file names to their content hashes.
type Assets struct {
	FS     fs.FS
	hashes map[string]string
}

// Load hashes every embedded file.
func Load() (*Assets, error) {
	a := &Assets{FS: files, hashes: map[string]string{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return a, err
}

// URL returns the cache-busting URL of a file, e.g. /static/app.css?v=1a2b3c.
func (a *Assets) URL(name string) string {
	return "/static/" + path.Clean(name) + "?v=" + a.hashes[name]
}

// Hash returns a file's content hash ("" when the file does not exist).
func (a *Assets) Hash(name string) string { return a.hashes[name] }
