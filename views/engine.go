// Package views renders the HTML of the application: templates parsed once
// at start-up from the embedded files, in every UI language.
package views

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"keyuan/models"
)

//go:embed templates
var templateFS embed.FS

// Engine holds one parsed template set per page and language. Translation is
// bound at parse time (one set per language) so rendering needs no locking.
type Engine struct {
	Catalog Catalog
	pages   map[string]map[string]*template.Template // lang → page → set
	bufs    sync.Pool
	// roleNames names the custom roles (the built-in ones are in the
	// catalog); set by the application once the database is open.
	roleNames atomic.Pointer[func(models.Role) string]
}

// SetRoleNames gives the engine the names of the custom roles.
func (e *Engine) SetRoleNames(name func(models.Role) string) { e.roleNames.Store(&name) }

// roleName is a role's name in lang: the catalog's for a built-in role,
// the admin's for a custom one.
func (e *Engine) roleName(lang string, r models.Role) string {
	if key := "role." + string(r); e.Catalog.Has(lang, key) {
		return e.Catalog.T(lang, key)
	}
	if f := e.roleNames.Load(); f != nil {
		if name := (*f)(r); name != "" {
			return name
		}
	}
	return string(r)
}

// New parses every template; it fails at start-up, not at the first request.
func New(catalog Catalog, assetURL func(string) string, loc *time.Location) (*Engine, error) {
	e := &Engine{Catalog: catalog, pages: map[string]map[string]*template.Template{},
		bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	common, err := templateFiles("templates/partials")
	if err != nil {
		return nil, err
	}
	common = append([]string{"templates/layout.html"}, common...)
	pages, err := templateFiles("templates/pages")
	if err != nil {
		return nil, err
	}
	md := NewMarkdown()
	for _, lang := range Languages {
		menu := &menus{}
		base := template.New("").Funcs(funcs(catalog, lang, assetURL, loc)).Funcs(serviceFuncs(md)).
			Funcs(template.FuncMap{"sidenav": menu.render, "role": func(r models.Role) string { return e.roleName(lang, r) }})
		if _, err := base.ParseFS(templateFS, common...); err != nil {
			return nil, err
		}
		// The menu renders from a clone of its own, so the page sets below
		// can still be cloned from base after the first page was served.
		if menu.set, err = base.Clone(); err != nil {
			return nil, err
		}
		e.pages[lang] = map[string]*template.Template{}
		for _, p := range pages {
			set, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := set.ParseFS(templateFS, p); err != nil {
				return nil, err
			}
			name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/pages/"), ".html")
			e.pages[lang][name] = set
		}
	}
	return e, nil
}

// menus renders the side menu ("sidenav" in layout.html) of one language. It
// depends only on what the actor may do and the current module, and it is
// about fifty template actions on every page, so each combination is
// rendered once and kept: a few roles and a fixed set of module names.
type menus struct {
	set   *template.Template
	cache sync.Map // permissions + "|" + nav → template.HTML
}

func (m *menus) render(actor models.Actor, nav string) (template.HTML, error) {
	key := actor.PermKey() + "|" + nav
	if html, ok := m.cache.Load(key); ok {
		return html.(template.HTML), nil
	}
	var buf bytes.Buffer
	if err := m.set.ExecuteTemplate(&buf, "sidenav", struct {
		Actor models.Actor
		Nav   string
	}{actor, nav}); err != nil {
		return "", err
	}
	html := template.HTML(buf.String()) // the output of html/template, escaped already
	m.cache.Store(key, html)
	return html, nil
}

func templateFiles(dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(templateFS, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".html") {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// can is the templates' one question about permissions:
// {{if can .Actor "customers.edit"}}. An unknown permission name fails
// the render (and the tests) instead of hiding a control.
func can(a models.Actor, name string) (bool, error) {
	p, err := models.ParsePermission(name)
	if err != nil {
		return false, err
	}
	return a.Can(p), nil
}

// maxLen is a field's length limit from the models' rules, for a form's
// maxlength: {{maxlen "customer" "notes"}}.
func maxLen(record, field string) (int, error) {
	limits := map[string]map[string]int{"customer": models.CustomerMaxLen, "contact": models.ContactMaxLen,
		"aux_item": models.AuxItemMaxLen}[record]
	if n, ok := limits[field]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("no length limit for %s.%s", record, field)
}

// HasPage reports whether a page template exists.
func (e *Engine) HasPage(page string) bool { _, ok := e.pages[Languages[0]][page]; return ok }

// Render executes block ("layout" for a full page, "content" or a partial's
// name for a fragment) of page into w. It renders into a buffer first, so a
// template error never sends half a page.
func (e *Engine) Render(w io.Writer, lang, page, block string, data any) error {
	set, ok := e.pages[lang][page]
	if !ok {
		if set, ok = e.pages[Languages[0]][page]; !ok {
			return fmt.Errorf("views: no page %q", page)
		}
	}
	buf := e.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer e.bufs.Put(buf)
	if err := set.ExecuteTemplate(buf, block, data); err != nil {
		return fmt.Errorf("views: render %s/%s: %w", page, block, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

func funcs(c Catalog, lang string, assetURL func(string) string, loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"t":       func(key string, args ...any) string { return c.T(lang, key, args...) },
		"lang":    func() string { return lang },
		"asset":   assetURL,
		"add":     func(a, b int) int { return a + b },
		"can":     can,
		"maxlen":  maxLen,
		"browser": models.BrowserName,
		"path":    Path,
		"sub":     func(a, b int) int { return a - b },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"hasID": func(ids []int64, id int64) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		},
		// withQuery returns the query string v with key set to value (or
		// removed when value is ""), for sort, page and export links. It is
		// typed as a URL: a plain string after "?" in an href would be
		// escaped a second time ("q%3d%25E7…") and the link would lose its
		// filters.
		"withQuery": func(v url.Values, kv ...any) template.URL {
			pairs := make([]string, len(kv))
			for i, x := range kv {
				pairs[i] = fmt.Sprint(x)
			}
			return template.URL(WithQuery(v, pairs...))
		},
		// when formats an RFC 3339 stamp as local date and time.
		"when": func(s string) string {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return s
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"pageRange": pageRange,
		"fen":       models.FormatFen,
		"reason":    func(r string) string { return c.Reason(lang, r) },
		"hasString": func(xs []string, x string) bool { return slices.Contains(xs, x) },
		"list":      func(v ...string) []string { return v },
		// initial is the first character of a name, for avatars.
		"initial": func(s string) string {
			for _, r := range s {
				return string(r)
			}
			return "?"
		},
	}
}

// WithQuery returns the query string v with each key of kv set to the value
// that follows it, or removed when that value is "". v is not changed.
func WithQuery(v url.Values, kv ...string) string {
	out := make(url.Values, len(v)+len(kv)/2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out.Encode()
}

// pageRange returns the page numbers to link around cur, with 0 for a gap.
func pageRange(cur, last int) []int {
	var out []int
	for p := 1; p <= last; p++ {
		if p == 1 || p == last || (p >= cur-2 && p <= cur+2) {
			out = append(out, p)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}
