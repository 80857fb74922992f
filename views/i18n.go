package views

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Languages the UI speaks; the first is the default.
var Languages = []string{"zh", "en"}

// Messages live in locales/<lang>/<module>.json, one file per module so
// modules can grow without touching each other's files.
//
//go:embed locales
var localeFS embed.FS

// Catalog holds the messages of every language, keyed by message key.
type Catalog map[string]map[string]string

// LoadCatalog reads the embedded message files. A key defined twice in one
// language is an error, so two modules cannot silently fight over a key.
func LoadCatalog() (Catalog, error) {
	c := Catalog{}
	for _, lang := range Languages {
		files, err := fs.Glob(localeFS, "locales/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no message files for language %s", lang)
		}
		all := map[string]string{}
		for _, f := range files {
			b, err := localeFS.ReadFile(f)
			if err != nil {
				return nil, err
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := all[k]; dup {
					return nil, fmt.Errorf("%s: key %q is defined twice", f, k)
				}
				all[k] = v
			}
		}
		c[lang] = all
	}
	return c, nil
}

// T translates key into lang, formatting args with fmt verbs in the
// message. A missing key shows as the key itself, so it is visible on
// screen, and a test catches it before it ships.
func (c Catalog) T(lang, key string, args ...any) string {
	msg, ok := c[lang][key]
	if !ok {
		msg, ok = c[Languages[0]][key]
		if !ok {
			return key
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in lang.
func (c Catalog) Has(lang, key string) bool { _, ok := c[lang][key]; return ok }

// Missing lists, per language, the keys that another language has and it lacks.
func (c Catalog) Missing() map[string][]string {
	all := map[string]bool{}
	for _, m := range c {
		for k := range m {
			all[k] = true
		}
	}
	out := map[string][]string{}
	for _, lang := range Languages {
		for k := range all {
			if _, ok := c[lang][k]; !ok {
				out[lang] = append(out[lang], k)
			}
		}
		sort.Strings(out[lang])
	}
	return out
}

// MatchLanguage picks a UI language from an Accept-Language header.
func MatchLanguage(accept string) string {
	best, bestQ := Languages[0], -1.0
	for _, part := range strings.Split(accept, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil || q <= 0 {
				continue // q=0 means "not this language"
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		for _, l := range Languages {
			if base == l && q > bestQ {
				best, bestQ = l, q
			}
		}
	}
	return best
}

// ValidLanguage reports whether lang is one the UI speaks.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Reason translates a stored reason list "key|detail;key|detail": a
// numeric detail is a line number, any other detail names a field
// (import.field.<detail>). A third part is the original value of a field
// that was left empty, query-escaped so that it holds no separator.
func (c Catalog) Reason(lang, reason string) string {
	var out []string
	for _, part := range strings.Split(reason, ";") {
		key, detail, _ := strings.Cut(part, "|")
		detail, original, hasOriginal := strings.Cut(detail, "|")
		msg := c.T(lang, key)
		if detail != "" {
			if _, err := strconv.Atoi(detail); err == nil {
				msg = c.T(lang, "import.at_line", msg, detail)
			} else {
				msg = c.T(lang, "import.field."+detail) + ": " + msg
			}
		}
		if hasOriginal {
			if v, err := url.QueryUnescape(original); err == nil && v != "" {
				msg += " " + c.T(lang, "import.original", v)
			}
		}
		out = append(out, msg)
	}
	return strings.Join(out, "; ")
}
