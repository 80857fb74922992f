package mail

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCampaignTemplateRunsWithoutLimits is the regression test of the hole:
// Go's template language let a campaign owner loop, nest loops and call
// functions. Every such template is refused when it is saved, with the
// part and the line.
func TestCampaignTemplateRunsWithoutLimits(t *testing.T) {
	cases := []struct {
		name, subject, text, html, part string
		line                            int
	}{
		{"range over a number", "邀请", "{{range 100000000}}x{{end}}", "", "text", 1},
		{"nested ranges", "邀请", "尊敬的客户\n{{range 10000}}{{range 10000}}x{{end}}{{end}}", "", "text", 2},
		{"loop in the subject", "{{range 100000000}}{{.客户名称}}{{end}}", "正文", "", "subject", 1},
		{"loop in the HTML", "邀请", "正文", "<p>\n\n{{range 1000000}}<b>x</b>{{end}}</p>", "html", 3},
		{"variables", "邀请", "{{$x := .客户名称}}{{$x}}", "", "text", 1},
		{"function call", "邀请", `{{printf "%0999999d" 1}}`, "", "text", 1},
		{"with", "邀请", "{{with .职务}}{{.}}{{end}}", "", "text", 1},
		{"define", "邀请", `{{define "x"}}a{{end}}正文`, "", "text", 1},
		{"template call", "邀请", `{{template "text"}}`, "", "text", 1},
		{"unknown field", "邀请", "{{.Password}}", "", "text", 1},
		{"pipeline", "邀请", "{{.客户名称 | len}}", "", "text", 1},
		{"call in a condition", "邀请", `{{if len .客户名称}}x{{end}}`, "", "text", 1},
		{"too long", "邀请", strings.Repeat("字", MaxTemplateBytes), "", "text", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTemplate(tc.subject, tc.text, tc.html)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("accepted (err %v)", err)
			}
			if te.Part != tc.part || te.Line != tc.line {
				t.Errorf("refused at %s line %d, want %s line %d: %v", te.Part, te.Line, tc.part, tc.line, te.Err)
			}
		})
	}
}

// TestCampaignTemplateAllowsMerges: fields and simple conditions work, in
// every part, in Chinese and English names.
func TestCampaignTemplateAllowsMerges(t *testing.T) {
	tpl, err := ParseTemplate("{{.活动名称}}邀请 – {{.CustomerName}}",
		"尊敬的{{.联系人}}{{if .职务}}（{{.职务}}）{{end}}：\n{{if eq .职务 \"经理\"}}经理好{{else if not .职务}}您好{{else}}你好{{end}}\n{{/* 备注 */}}",
		"<p>{{.客户名称}}</p>{{if ne .ContactTitle \"\"}}<i>{{.ContactTitle}}</i>{{end}}")
	if err != nil {
		t.Fatal(err)
	}
	r, err := tpl.Render(MergeFields{CustomerName: "<蓝海>", ContactName: "王芳", ContactTitle: "经理", CampaignName: "新品发布会"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "新品发布会邀请 – <蓝海>" || !strings.Contains(r.Text, "王芳（经理）") || !strings.Contains(r.Text, "经理好") ||
		!strings.Contains(r.HTML, "&lt;蓝海&gt;") || !strings.Contains(r.HTML, "<i>经理</i>") {
		t.Errorf("%+v", r)
	}
}

// A render is bounded: its output is capped and a cancelled request stops it.
func TestCampaignTemplateRenderBounded(t *testing.T) {
	big := strings.Repeat("长", 20_000) // 60 KB of text, within the template limit
	tpl, err := ParseTemplate("邀请", strings.Repeat("{{.客户名称}}", 100), "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tpl.Render(MergeFields{CustomerName: big})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a 6 MB invitation: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the capped render ran on")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tpl.RenderContext(ctx, MergeFields{CustomerName: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled render: %v", err)
	}
}

// FuzzTemplateCheck: any text is either refused at parse, or renders within
// the output cap.
func FuzzTemplateCheck(f *testing.F) {
	for _, s := range []string{"{{.客户名称}}", "{{range 9}}x{{end}}", "{{if .职务}}a{{else}}b{{end}}", "{{", "{{$x:=1}}",
		`{{if eq .职务 "经理"}}x{{end}}`, "{{block \"a\" .}}x{{end}}", "{{.客户名称.x}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := ParseTemplate("邀请", s, s)
		if err != nil {
			return
		}
		r, err := tpl.Render(MergeFields{CustomerName: strings.Repeat("x", 100)})
		if err == nil && (len(r.Text) > MaxRenderBytes || len(r.HTML) > MaxRenderBytes) {
			t.Fatalf("output %d/%d bytes", len(r.Text), len(r.HTML))
		}
	})
}
