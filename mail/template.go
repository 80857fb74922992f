package mail

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
)

// Merge fields an invitation may use, by their Chinese names with English
// aliases: {{.客户名称}} or {{.CustomerName}}.
var mergeFieldNames = [][2]string{
	{"客户名称", "CustomerName"}, {"联系人", "ContactName"}, {"职务", "ContactTitle"}, {"业务员", "Salesperson"},
	{"活动名称", "CampaignName"}, {"活动日期", "CampaignDate"}, {"活动地点", "CampaignPlace"},
}

// MergeFieldNames lists the field names for the editor's help: Chinese,
// or the English aliases.
func MergeFieldNames(english bool) []string {
	out := make([]string, len(mergeFieldNames))
	for i, f := range mergeFieldNames {
		out[i] = f[0]
		if english {
			out[i] = f[1]
		}
	}
	return out
}

// MergeFields are one recipient's values.
type MergeFields struct {
	CustomerName, ContactName, ContactTitle, Salesperson string
	CampaignName, CampaignDate, CampaignPlace            string
}

func (f MergeFields) data() map[string]string {
	vals := []string{f.CustomerName, f.ContactName, f.ContactTitle, f.Salesperson, f.CampaignName, f.CampaignDate, f.CampaignPlace}
	m := make(map[string]string, 2*len(vals))
	for i, names := range mergeFieldNames {
		m[names[0]], m[names[1]] = vals[i], vals[i]
	}
	return m
}

// Template is a parsed invitation: subject and plain text with
// text/template, HTML with html/template (merge values are escaped).
type Template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// TemplateError says which part of the invitation is wrong and on which line.
type TemplateError struct {
	Part string // subject, text or html
	Line int
	Err  error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("%s line %d: %v", e.Part, e.Line, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

var lineInErr = regexp.MustCompile(`:(\d+):`)

func templateError(part string, err error) error {
	line := 1
	if m := lineInErr.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &line)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return &TemplateError{Part: part, Line: line, Err: errors.New(msg)}
}

// ParseTemplate parses the three parts and renders them once with sample
// values, so an unknown field or a bad action is reported now, before
// anything is queued. HTML may be empty.
func ParseTemplate(subject, text, html string) (*Template, error) {
	t := &Template{}
	var err error
	if strings.TrimSpace(subject) == "" {
		return nil, &TemplateError{Part: "subject", Line: 1, Err: errors.New("empty")}
	}
	if strings.TrimSpace(text) == "" {
		return nil, &TemplateError{Part: "text", Line: 1, Err: errors.New("empty")}
	}
	for _, p := range []struct{ part, src string }{{"subject", subject}, {"text", text}, {"html", html}} {
		if len(p.src) > MaxTemplateBytes {
			return nil, &TemplateError{Part: p.part, Line: 1, Err: fmt.Errorf("longer than %d KB", MaxTemplateBytes>>10)}
		}
	}
	if t.subject, err = texttemplate.New("subject").Option("missingkey=error").Parse(subject); err != nil {
		return nil, templateError("subject", err)
	}
	if t.text, err = texttemplate.New("text").Option("missingkey=error").Parse(text); err != nil {
		return nil, templateError("text", err)
	}
	if strings.TrimSpace(html) != "" {
		if t.html, err = htmltemplate.New("html").Option("missingkey=error").Parse(html); err != nil {
			return nil, templateError("html", err)
		}
	}
	// Only merge fields and simple conditions (template_check.go).
	parts := []struct {
		part  string
		trees int
		tree  *parse.Tree
	}{{"subject", len(t.subject.Templates()), t.subject.Tree}, {"text", len(t.text.Templates()), t.text.Tree}}
	if t.html != nil {
		parts = append(parts, struct {
			part  string
			trees int
			tree  *parse.Tree
		}{"html", len(t.html.Templates()), t.html.Tree})
	}
	for _, p := range parts {
		err := checkTree(p.tree)
		if err == nil && p.trees > 1 {
			err = &TemplateError{Line: 1, Err: errors.New("{{define}} and {{block}} are not allowed")}
		}
		if err != nil {
			var te *TemplateError
			if errors.As(err, &te) {
				te.Part = p.part
			}
			return nil, err
		}
	}
	sample := MergeFields{"样例客户", "样例联系人", "经理", "业务员", "活动", "2026-01-01", "会议室"}
	if _, err := t.Render(sample); err != nil {
		return nil, err
	}
	return t, nil
}

// Rendered is one recipient's invitation.
type Rendered struct {
	Subject, Text, HTML string
}

// Render fills in one recipient's values. The subject is kept on one line.
func (t *Template) Render(f MergeFields) (Rendered, error) {
	return t.RenderContext(context.Background(), f)
}

// RenderContext is Render that stops when ctx ends (the request that asked
// for a preview went away) and refuses output over MaxRenderBytes a part.
func (t *Template) RenderContext(ctx context.Context, f MergeFields) (Rendered, error) {
	data := f.data()
	var r Rendered
	exec := func(part string, run func(w *cappedWriter) error) (string, error) {
		w := &cappedWriter{ctx: ctx}
		if err := run(w); err != nil {
			if errors.Is(err, ErrTooLarge) || errors.Is(err, ctx.Err()) && ctx.Err() != nil {
				return "", &TemplateError{Part: part, Line: 1, Err: err}
			}
			return "", templateError(part, err)
		}
		return string(w.buf), nil
	}
	var err error
	if r.Subject, err = exec("subject", func(w *cappedWriter) error { return t.subject.Execute(w, data) }); err != nil {
		return r, err
	}
	r.Subject = oneLine(r.Subject)
	if r.Text, err = exec("text", func(w *cappedWriter) error { return t.text.Execute(w, data) }); err != nil {
		return r, err
	}
	if t.html != nil {
		if r.HTML, err = exec("html", func(w *cappedWriter) error { return t.html.Execute(w, data) }); err != nil {
			return r, err
		}
	}
	return r, nil
}
