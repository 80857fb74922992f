package handlers

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"

	"keyuan/models"
)

// filesRowsTemplate is the markup the panel's rows had when html/template
// wrote them; the writers must produce the same rows, value for value.
var filesRowsTemplate = template.Must(template.New("rows").Funcs(template.FuncMap{
	"when": func(s string) string { return "when:" + s },
	"t": func(key string, args ...any) string {
		if len(args) > 0 {
			return fmt.Sprintf("%s(%v)", key, args[0])
		}
		return key
	},
}).Parse(`{{define "files"}}{{$d := .}}{{range $d.Files}}
    <li id="attachment-{{.ID}}">
      {{if .Image}}<a href="/attachments/{{.ID}}" target="_blank" rel="noopener"><img src="/attachments/{{.ID}}/thumb" alt="{{.Name}}" class="thumb" loading="lazy"></a>{{end}}
      <a href="/attachments/{{.ID}}{{if not (or .Image .PDF)}}?dl=1{{end}}"{{if or .Image .PDF}} target="_blank" rel="noopener"{{end}}>{{.Name}}</a>
      <span class="sub">{{.SizeText}} · {{.CreatedName}} · {{when .CreatedAt}}</span>
      {{if and .Image (eq $d.Kind "article") $d.CanEdit}}<label class="sub md-embed">{{t "files.markdown"}}
        <input type="text" readonly value="![{{.Name}}](/attachments/{{.ID}})" aria-label="{{t "files.markdown"}}"></label>{{end}}
      {{if $d.CanEdit}}<form method="post" action="/attachments/{{.ID}}/delete" data-confirm="{{t "files.delete_confirm" .Name}}" class="inline"><button type="submit" class="link danger">{{t "files.delete"}}</button></form>{{end}}
    </li>
  {{end}}{{end}}
{{define "comments"}}{{range .}}
    <li id="comment-{{.ID}}"><div class="sub"><strong>{{.AuthorName}}</strong> · {{when .CreatedAt}}{{if .EditedAt}} · {{t "comments.edited"}}{{end}}</div>
      {{if .Deleted}}<p class="muted">{{t "comments.deleted"}}</p>{{else}}<p class="comment-body">{{.BodyHTML}}</p>{{end}}
      {{if .Editable}}<details><summary class="link">{{t "comments.edit"}}</summary>
        <form method="post" action="/comments/{{.ID}}"><textarea name="body" rows="3" maxlength="5000">{{.Body}}</textarea>
          <button type="submit" class="btn btn-sm">{{t "comments.save"}}</button></form>
        <form method="post" action="/comments/{{.ID}}/delete" class="inline"><button type="submit" class="link danger">{{t "comments.delete"}}</button></form>
      </details>{{end}}
    </li>
  {{end}}{{end}}`))

// The template's rows as its data had them.
type oldFileRow struct {
	models.Attachment
	Image, PDF bool
	SizeText   string
}

type oldCommentRow struct {
	models.Comment
	BodyHTML template.HTML
}

// oldLinkify is how the comment texts were made clickable before the rows
// were written in Go.
func oldLinkify(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range linkRe.FindAllStringIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		u := template.HTMLEscapeString(s[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `" rel="noopener noreferrer nofollow" target="_blank">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String())
}

// spaceRun is a run of white space with a line break: the template's
// indentation, which the browser shows as one space like the writers' "\n".
var spaceRun = regexp.MustCompile(`\s*\n\s*`)

func sameRows(t *testing.T, what, got, want string) {
	t.Helper()
	g := spaceRun.ReplaceAllString(got, "\n")
	w := spaceRun.ReplaceAllString(want, "\n")
	if html.UnescapeString(strings.TrimSpace(g)) != html.UnescapeString(strings.TrimSpace(w)) {
		t.Errorf("%s differ from the template's\n got: %s\nwant: %s", what, g, w)
	}
	for _, bad := range []string{"<script", "<img src=x", "onerror='", "</textarea> & "} {
		if strings.Contains(g, bad) {
			t.Errorf("%s print %q unescaped: %s", what, bad, g)
		}
	}
}

// TestFilesPanelRowsMatchTemplate: the panel's row writers escape every
// value, hostile ones included (file names in text and attributes, comment
// texts in a paragraph and in a textarea), and write what the template wrote.
func TestFilesPanelRowsMatchTemplate(t *testing.T) {
	evil := `"><script>alert(1)</script><img src=x onerror='alert(2)'> & +86 </textarea>`
	w := &panelWords{Markdown: "files.markdown", Delete: "files.delete", Edited: "comments.edited", Deleted: "comments.deleted",
		Edit: "comments.edit", Save: "comments.save", DeleteComment: "comments.delete",
		DeleteConfirm: func(name string) string { return fmt.Sprintf("files.delete_confirm(%v)", name) },
		When:          func(s string) string { return "when:" + s }}
	files := []models.Attachment{
		{ID: 1, Name: "照片.png", Mime: "image/png", Size: 2048, CreatedName: "张伟", CreatedAt: "2026-12-01T08:00:00Z"},
		{ID: 22, Name: evil, Mime: "image/jpeg", Size: 5 << 20, CreatedName: evil, CreatedAt: evil},
		{ID: 333, Name: "合同.pdf", Mime: "application/pdf", Size: 12},
		{ID: 4444, Name: evil + ".docx", Mime: "application/zip", Size: 3 << 30},
	}
	for _, kind := range []string{"customer", "article"} {
		for _, canEdit := range []bool{false, true} {
			old := make([]oldFileRow, len(files))
			for i, a := range files {
				old[i] = oldFileRow{Attachment: a, Image: a.IsImage(), PDF: a.IsPDF(), SizeText: humanSize(a.Size)}
			}
			var want bytes.Buffer
			if err := filesRowsTemplate.ExecuteTemplate(&want, "files",
				map[string]any{"Files": old, "Kind": kind, "CanEdit": canEdit}); err != nil {
				t.Fatal(err)
			}
			got := fileRowsHTML(files, kind, canEdit, w)
			sameRows(t, fmt.Sprintf("file rows (%s, edit %v)", kind, canEdit), string(got), want.String())
			if kind == "article" && canEdit && !strings.Contains(string(got), "md-embed") {
				t.Error("an article's editor gets no Markdown to embed an image")
			}
		}
	}
	comments := []models.Comment{
		{ID: 5, Body: "见 https://example.com/a?b=1&c=2 和 " + evil, AuthorName: evil, CreatedAt: "2026-12-01T08:00:00Z"},
		{ID: 6, Body: evil, AuthorName: "李娜", CreatedAt: "x", EditedAt: "y", Editable: true},
		{ID: 7, AuthorName: "王芳", Deleted: true, EditedAt: "z"},
		{ID: 8, Body: "没有链接 <b>粗</b> & http 这个词", AuthorName: "a"},
		{ID: 9, Body: "https://example.com/x\nhttp://example.org/<y>", AuthorName: "b"},
	}
	old := make([]oldCommentRow, len(comments))
	for i, m := range comments {
		old[i] = oldCommentRow{Comment: m, BodyHTML: oldLinkify(m.Body)}
	}
	var want bytes.Buffer
	if err := filesRowsTemplate.ExecuteTemplate(&want, "comments", old); err != nil {
		t.Fatal(err)
	}
	got := string(commentRowsHTML(comments, w))
	sameRows(t, "comment rows", got, want.String())
	if !strings.Contains(got, `<a href="https://example.com/a?b=1&amp;c=2"`) {
		t.Errorf("a comment's link is not clickable: %s", got)
	}
}
