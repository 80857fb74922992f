package mail

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"
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
	data := f.data()
	var r Rendered
	var b strings.Builder
	if err := t.subject.Execute(&b, data); err != nil {
		return r, templateError("subject", err)
	}
	r.Subject = oneLine(b.String())
	b.Reset()
	if err := t.text.Execute(&b, data); err != nil {
		return r, templateError("text", err)
	}
	r.Text = b.String()
	if t.html != nil {
		b.Reset()
		if err := t.html.Execute(&b, data); err != nil {
			return r, templateError("html", err)
		}
		r.HTML = b.String()
	}
	return r, nil
}
