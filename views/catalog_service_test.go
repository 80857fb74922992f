package views

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestMessagesComplete fails on a key one language has and another lacks,
// and on a literal message key in a template that no language defines.
func TestMessagesComplete(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for lang, keys := range c.Missing() {
		if len(keys) > 0 {
			t.Errorf("%s lacks %d keys: %v", lang, len(keys), keys)
		}
	}
	lit := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if key := m[1]; !strings.HasSuffix(key, ".") && !c.Has(Languages[0], key) {
				t.Errorf("%s: message key %q is not defined", p, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
