package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestTemplateErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, subject, text, html, part string
		line                            int
	}{
		{"unclosed action", "邀请", "您好\n{{.客户名称}\n", "", "text", 2},
		{"unknown field", "邀请", "第一行\n第二行\n{{.不存在}}", "", "text", 3},
		{"html syntax", "邀请", "正文", "<p>{{.联系人</p>", "html", 1},
		{"bad subject", "{{if}}", "正文", "", "subject", 1},
		{"empty text", "邀请", "  ", "", "text", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTemplate(tc.subject, tc.text, tc.html)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("err %v, want a TemplateError", err)
			}
			if te.Part != tc.part || te.Line != tc.line {
				t.Fatalf("part %s line %d, want %s line %d (%v)", te.Part, te.Line, tc.part, tc.line, err)
			}
		})
	}
}

func TestTemplateRendersAndEscapes(t *testing.T) {
	tpl, err := ParseTemplate("{{.活动名称}}邀请函 – {{.CustomerName}}", "尊敬的{{.联系人}}{{.职务}}：\n诚邀您于{{.活动日期}}到{{.活动地点}}。\n{{.业务员}}",
		"<p>尊敬的{{.联系人}}</p>")
	if err != nil {
		t.Fatal(err)
	}
	r, err := tpl.Render(MergeFields{CustomerName: "华信科技\r\nBcc: x@evil", ContactName: "<b>王芳</b>", ContactTitle: "经理",
		Salesperson: "张伟", CampaignName: "新品发布会", CampaignDate: "2026-12-08", CampaignPlace: "上海"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(r.Subject, "\r\n") || r.Subject != "新品发布会邀请函 – 华信科技 Bcc: x@evil" {
		t.Errorf("subject %q", r.Subject)
	}
	if !strings.Contains(r.Text, "尊敬的<b>王芳</b>经理") || !strings.Contains(r.Text, "2026-12-08到上海") {
		t.Errorf("text %q", r.Text)
	}
	if r.HTML != "<p>尊敬的&lt;b&gt;王芳&lt;/b&gt;</p>" {
		t.Errorf("html %q", r.HTML)
	}
}
