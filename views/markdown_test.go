package views

import (
	"strings"
	"testing"
)

func TestMarkdownIsSanitised(t *testing.T) {
	md := NewMarkdown()
	for name, src := range map[string]string{
		"script":        "hi <script>alert(1)</script>",
		"script block":  "<script>\nalert(1)\n</script>",
		"event handler": `<img src="x.png" onerror="alert(1)">`,
		"iframe":        `<iframe src="https://evil.example"></iframe>`,
		"js link":       "[click](javascript:alert(1))",
		"js link html":  `<a href="javascript:alert(1)">x</a>`,
		"js autolink":   "<javascript:alert(1)>",
		"htmx":          `<div hx-get="/admin/users" hx-trigger="load">x</div>`,
		"data-hx":       `<span data-hx-post="/logout" data-hx-trigger="load">x</span>`,
		"style":         `<p style="background:url(javascript:alert(1))">x</p>`,
		"object":        `<object data="evil.swf"></object><embed src="evil.swf">`,
		"svg":           `<svg onload="alert(1)"><script>alert(1)</script></svg>`,
		"form":          `<form action="/logout" method="post"><button>x</button></form>`,
		"vbscript":      "[x](vbscript:msgbox)",
		"data url":      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
	} {
		t.Run(name, func(t *testing.T) {
			out := strings.ToLower(string(md.Render(src)))
			for _, bad := range []string{"<script", "onerror", "onload", "<iframe", `href="javascript:`, `src="javascript:`, "hx-", "<object", "<embed",
				"style=", "<form", `href="vbscript:`, `href="data:`, "<svg"} {
				if strings.Contains(out, bad) {
					t.Errorf("%q survived: %s", bad, out)
				}
			}
		})
	}
	out := string(md.Render("1. **重启**打印机\n2. 访问 [官网](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
	for _, want := range []string{"<ol>", "<strong>重启</strong>", `href="https://example.com"`, "<table>"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in %s", want, out)
		}
	}
}
