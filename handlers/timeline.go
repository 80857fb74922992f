package handlers

import (
	"html/template"
	"strings"
)

// The lines of a record's timeline (its history and comments) are written
// in Go when they are put together (describeHistory, withComments): a card
// with 50 attachments and 20 comments has some 70 lines, and html/template
// spent about 14 µs on each (field lookups, the time format and the
// escaping, all through reflection); this writes one in about 1 µs. The
// markup is the "timeline" partial's as it was (a test compares them);
// every value is escaped with template.HTMLEscapeString.

// writeHistoryLine writes one <li> of the timeline. system names the user
// of a change nobody made (a job, the system); when formats a time stamp.
func writeHistoryLine(l historyLine, system string, when func(string) string) template.HTML {
	esc := template.HTMLEscapeString
	var b strings.Builder
	b.Grow(160 + 80*len(l.Changes) + len(l.Comment))
	user := l.User
	if user == "" {
		user = system
	}
	b.WriteString(`<li><div class="tl-head"><strong>` + esc(l.Action) + `</strong> · ` + esc(user) + ` · <time>` + esc(when(l.At)) +
		"</time></div>\n")
	if l.Comment != "" {
		b.WriteString(`<p class="comment-body">` + esc(l.Comment) + "</p>")
	}
	b.WriteString("\n")
	if len(l.Changes) > 0 {
		b.WriteString(`<ul class="changes">`)
		for _, ch := range l.Changes {
			b.WriteString(`<li><span class="field-name">` + esc(ch.Field) + `</span>`)
			if ch.Old != "" {
				b.WriteString(` <del>` + esc(ch.Old) + `</del> →`)
			}
			n := ch.New
			if n == "" {
				n = "—"
			}
			b.WriteString(` <ins>` + esc(n) + `</ins></li>`)
		}
		b.WriteString(`</ul>`)
	}
	b.WriteString("</li>")
	return template.HTML(b.String())
}
