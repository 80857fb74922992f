package handlers

import (
	"html/template"
	"strconv"
	"strings"

	"keyuan/models"
)

// The rows of the files panel (attachments and comments) are written in Go,
// not by the template: a card with 50 files and 30 comments printed some 700
// values through html/template, which makes every field lookup, function
// call and escape through reflection (about 1 µs each), and that was most of
// the panel's cost. The markup is the template's (a test compares them,
// with hostile names and texts); every value is escaped with
// template.HTMLEscapeString, safe in text, in quoted attributes and in a
// textarea; the only URLs are made of fixed paths and numbers.

// markup is a buffer of HTML. Its pieces are written one by one, not joined
// with + first: joined, every row made a handful of throw-away strings, and
// the garbage of a 45 KB panel cost the card more than writing it.
type markup struct{ strings.Builder }

// raw writes trusted markup.
func (m *markup) raw(parts ...string) {
	for _, p := range parts {
		m.WriteString(p)
	}
}

// text writes a value, escaped (it allocates only when there is something
// to escape).
func (m *markup) text(s string) { m.WriteString(template.HTMLEscapeString(s)) }

// html is what was written.
func (m *markup) html() template.HTML { return template.HTML(m.String()) }

// panelWords are the panel's translated words and the time format, looked
// up once per panel rather than once per row.
type panelWords struct {
	Markdown, Delete, Edited, Deleted, Edit, Save, DeleteComment string
	DeleteConfirm                                                func(name string) string
	When                                                         func(stamp string) string
}

// writeFileRow writes one attachment's <li>. kind is the record's: an
// article's editors get the Markdown that embeds an image.
func writeFileRow(m *markup, a models.Attachment, kind string, canEdit bool, w *panelWords) {
	id := strconv.FormatInt(a.ID, 10)
	image, pdf := a.IsImage(), a.IsPDF()
	m.raw(`<li id="attachment-`, id, "\">\n")
	if image {
		m.raw(`<a href="/attachments/`, id, `" target="_blank" rel="noopener"><img src="/attachments/`, id, `/thumb" alt="`)
		m.text(a.Name)
		m.raw(`" class="thumb" loading="lazy"></a>`)
	}
	m.raw("\n", `<a href="/attachments/`, id)
	if image || pdf {
		m.raw(`" target="_blank" rel="noopener">`)
	} else {
		m.raw(`?dl=1">`)
	}
	m.text(a.Name)
	m.raw("</a>\n", `<span class="sub">`)
	m.text(humanSize(a.Size))
	m.raw(` · `)
	m.text(a.CreatedName)
	m.raw(` · `)
	m.text(w.When(a.CreatedAt))
	m.raw("</span>\n")
	if image && kind == "article" && canEdit {
		m.raw(`<label class="sub md-embed">`)
		m.text(w.Markdown)
		m.raw("\n", `<input type="text" readonly value="![`)
		m.text(a.Name)
		m.raw(`](/attachments/`, id, `)" aria-label="`)
		m.text(w.Markdown)
		m.raw(`"></label>`)
	}
	m.raw("\n")
	if canEdit {
		m.raw(`<form method="post" action="/attachments/`, id, `/delete" data-confirm="`)
		m.text(w.DeleteConfirm(a.Name))
		m.raw(`" class="inline"><button type="submit" class="link danger">`)
		m.text(w.Delete)
		m.raw(`</button></form>`)
	}
	m.raw("\n</li>\n")
}

// writeCommentRow writes one comment's <li>; its text's links are made
// clickable (writeLinked), the rest escaped.
func writeCommentRow(m *markup, c models.Comment, w *panelWords) {
	id := strconv.FormatInt(c.ID, 10)
	m.raw(`<li id="comment-`, id, `"><div class="sub"><strong>`)
	m.text(c.AuthorName)
	m.raw(`</strong> · `)
	m.text(w.When(c.CreatedAt))
	if c.EditedAt != "" {
		m.raw(` · `)
		m.text(w.Edited)
	}
	m.raw("</div>\n")
	if c.Deleted {
		m.raw(`<p class="muted">`)
		m.text(w.Deleted)
	} else {
		m.raw(`<p class="comment-body">`)
		writeLinked(m, c.Body)
	}
	m.raw("</p>\n")
	if c.Editable {
		m.raw(`<details><summary class="link">`)
		m.text(w.Edit)
		m.raw("</summary>\n", `<form method="post" action="/comments/`, id, `"><textarea name="body" rows="3" maxlength="5000">`)
		m.text(c.Body)
		m.raw("</textarea>\n", `<button type="submit" class="btn btn-sm">`)
		m.text(w.Save)
		m.raw("</button></form>\n", `<form method="post" action="/comments/`, id, `/delete" class="inline"><button type="submit" class="link danger">`)
		m.text(w.DeleteComment)
		m.raw("</button></form>\n</details>")
	}
	m.raw("\n</li>\n")
}

// writeLinked writes a comment's text with its http(s) links clickable;
// all else is escaped.
func writeLinked(m *markup, s string) {
	if !strings.Contains(s, "http") {
		m.text(s) // no link: no need for the expression
		return
	}
	last := 0
	for _, loc := range linkRe.FindAllStringIndex(s, -1) {
		m.text(s[last:loc[0]])
		u := template.HTMLEscapeString(s[loc[0]:loc[1]])
		m.raw(`<a href="`, u, `" rel="noopener noreferrer nofollow" target="_blank">`, u, `</a>`)
		last = loc[1]
	}
	m.text(s[last:])
}

// fileRowsHTML writes the rows of every file.
func fileRowsHTML(files []models.Attachment, kind string, canEdit bool, w *panelWords) template.HTML {
	var m markup
	size := 0
	for _, a := range files { // about what a row takes: one buffer, no regrowing
		size += 450 + 4*len(a.Name)
	}
	m.Grow(size)
	for _, a := range files {
		writeFileRow(&m, a, kind, canEdit, w)
	}
	return m.html()
}

// commentRowsHTML writes the rows of every comment shown.
func commentRowsHTML(comments []models.Comment, w *panelWords) template.HTML {
	var m markup
	size := 0
	for _, c := range comments {
		size += 450 + 3*len(c.Body)
	}
	m.Grow(size)
	for _, c := range comments {
		writeCommentRow(&m, c, w)
	}
	return m.html()
}
