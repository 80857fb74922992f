package views

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Markdown renders user-written Markdown (knowledge article solutions) to
// HTML that is safe to show: goldmark drops raw HTML, and bluemonday's
// user-content policy then removes anything that could run or load code —
// scripts, iframes, event handlers, javascript: links, style, and every
// attribute it does not know, including hx-* and data-hx-* (which htmx
// would otherwise act on).
type Markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewMarkdown builds the renderer; it is safe for concurrent use.
func NewMarkdown() *Markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &Markdown{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
	}
}

// Render converts src to sanitised HTML. A conversion error (which goldmark
// only reports for a failing writer) falls back to the escaped text.
func (m *Markdown) Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitised above
}
