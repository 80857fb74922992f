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

// panelWords are the panel's translated words and the time format, looked
// up once per panel rather than once per row.
type panelWords struct {
	Markdown, Delete, Edited, Deleted, Edit, Save, DeleteComment string
	DeleteConfirm                                                func(name string) string
	When                                                         func(stamp string) string
}

// writeFileRow writes one attachment's <li>. kind is the record's: an
// article's editors get the Markdown that embeds an image.
func writeFileRow(b *strings.Builder, a models.Attachment, kind string, canEdit bool, w *panelWords) {
	esc := template.HTMLEscapeString
	id := strconv.FormatInt(a.ID, 10)
	name := esc(a.Name)
	image, pdf := a.IsImage(), a.IsPDF()
	b.WriteString(`<li id="attachment-` + id + `">` + "\n")
	if image {
		b.WriteString(`<a href="/attachments/` + id + `" target="_blank" rel="noopener"><img src="/attachments/` + id +
			`/thumb" alt="` + name + `" class="thumb" loading="lazy"></a>`)
	}
	b.WriteString("\n" + `<a href="/attachments/` + id)
	if image || pdf {
		b.WriteString(`" target="_blank" rel="noopener">`)
	} else {
		b.WriteString(`?dl=1">`)
	}
	b.WriteString(name + "</a>\n" + `<span class="sub">` + esc(humanSize(a.Size)) + ` · ` + esc(a.CreatedName) + ` · ` +
		esc(w.When(a.CreatedAt)) + "</span>\n")
	if image && kind == "article" && canEdit {
		md := esc(w.Markdown)
		b.WriteString(`<label class="sub md-embed">` + md + "\n" + `<input type="text" readonly value="![` + name +
			`](/attachments/` + id + `)" aria-label="` + md + `"></label>`)
	}
	b.WriteString("\n")
	if canEdit {
		b.WriteString(`<form method="post" action="/attachments/` + id + `/delete" data-confirm="` + esc(w.DeleteConfirm(a.Name)) +
			`" class="inline"><button type="submit" class="link danger">` + esc(w.Delete) + `</button></form>`)
	}
	b.WriteString("\n</li>\n")
}

// writeCommentRow writes one comment's <li>; its text's links are made
// clickable by linkify, which escapes the rest.
func writeCommentRow(b *strings.Builder, m models.Comment, w *panelWords) {
	esc := template.HTMLEscapeString
	id := strconv.FormatInt(m.ID, 10)
	b.WriteString(`<li id="comment-` + id + `"><div class="sub"><strong>` + esc(m.AuthorName) + `</strong> · ` + esc(w.When(m.CreatedAt)))
	if m.EditedAt != "" {
		b.WriteString(` · ` + esc(w.Edited))
	}
	b.WriteString("</div>\n")
	if m.Deleted {
		b.WriteString(`<p class="muted">` + esc(w.Deleted) + `</p>`)
	} else {
		b.WriteString(`<p class="comment-body">` + string(linkify(m.Body)) + `</p>`)
	}
	b.WriteString("\n")
	if m.Editable {
		b.WriteString(`<details><summary class="link">` + esc(w.Edit) + "</summary>\n" +
			`<form method="post" action="/comments/` + id + `"><textarea name="body" rows="3" maxlength="5000">` + esc(m.Body) +
			"</textarea>\n" + `<button type="submit" class="btn btn-sm">` + esc(w.Save) + "</button></form>\n" +
			`<form method="post" action="/comments/` + id + `/delete" class="inline"><button type="submit" class="link danger">` +
			esc(w.DeleteComment) + "</button></form>\n</details>")
	}
	b.WriteString("\n</li>\n")
}

// fileRowsHTML writes the rows of every file.
func fileRowsHTML(files []models.Attachment, kind string, canEdit bool, w *panelWords) template.HTML {
	var b strings.Builder
	b.Grow(len(files) * 600)
	for _, a := range files {
		writeFileRow(&b, a, kind, canEdit, w)
	}
	return template.HTML(b.String())
}

// commentRowsHTML writes the rows of every comment shown.
func commentRowsHTML(comments []models.Comment, w *panelWords) template.HTML {
	var b strings.Builder
	b.Grow(len(comments) * 300)
	for _, m := range comments {
		writeCommentRow(&b, m, w)
	}
	return template.HTML(b.String())
}
