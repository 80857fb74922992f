package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"testing"
)

// timelineTemplate is the "timeline" partial's line as html/template wrote
// it; writeHistoryLine must write the same, value for value.
var timelineTemplate = template.Must(template.New("line").Funcs(template.FuncMap{
	"when": func(s string) string { return "when:" + s },
	"t":    func(key string) string { return key },
}).Parse(`
  <li><div class="tl-head"><strong>{{.Action}}</strong> · {{or .User (t "history.system")}} · <time>{{when .At}}</time></div>
    {{with .Comment}}<p class="comment-body">{{.}}</p>{{end}}
    {{if .Changes}}<ul class="changes">{{range .Changes}}<li><span class="field-name">{{.Field}}</span>{{if .Old}} <del>{{.Old}}</del> →{{end}} <ins>{{or .New "—"}}</ins></li>{{end}}</ul>{{end}}</li>`))

// TestHistoryLineMatchesTemplate: the timeline's line writer escapes every
// value, hostile ones included, and writes what the partial wrote.
func TestHistoryLineMatchesTemplate(t *testing.T) {
	evil := `"><script>alert(1)</script><img src=x onerror='alert(2)'> & +86`
	when := func(s string) string { return "when:" + s }
	for i, l := range []historyLine{
		{At: "2026-12-01T08:00:00Z", User: "张伟", Action: "修改", Changes: []historyChange{
			{Field: "电话", Old: "0755-1234", New: "0755-9999"}, {Field: "等级", New: "A"}, {Field: "备注", Old: "旧", New: ""}}},
		{At: evil, User: evil, Action: evil, Comment: evil},
		{At: "x", Action: "创建", Changes: []historyChange{{Field: evil, Old: evil, New: evil}}},
		{At: "y", Action: "评论", Comment: "见 https://example.com/?a=1&b=2"},
	} {
		got := string(writeHistoryLine(l, "history.system", when))
		var want bytes.Buffer
		if err := timelineTemplate.Execute(&want, l); err != nil {
			t.Fatal(err)
		}
		sameRows(t, fmt.Sprintf("history line %d", i), got, want.String())
		if l.User == "" && !strings.Contains(got, "history.system") {
			t.Errorf("line %d: a change nobody made does not say so: %s", i, got)
		}
	}
}
