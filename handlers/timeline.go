package handlers

import (
	"html/template"
)

// The lines of a record's timeline (its history and comments) are written
// in Go when they are put together (describeHistory, withComments): a card
// with 50 attachments and 20 comments has some 70 lines, and html/template
// spent about 14 µs on each (field lookups, the time format and the
// escaping, all through reflection). The markup is the "timeline" partial's
// as it was (a test compares them); every value is escaped.

// writeHistoryLine writes one <li> of the timeline. system names the user
// of a change nobody made (a job, the system); when formats a time stamp.
func writeHistoryLine(l historyLine, system string, when func(string) string) template.HTML {
	var m markup
	m.Grow(200 + 100*len(l.Changes) + 2*len(l.Comment))
	user := l.User
	if user == "" {
		user = system
	}
	m.raw(`<li><div class="tl-head"><strong>`)
	m.text(l.Action)
	m.raw(`</strong> · `)
	m.text(user)
	m.raw(` · <time>`)
	m.text(when(l.At))
	m.raw("</time></div>\n")
	if l.Comment != "" {
		m.raw(`<p class="comment-body">`)
		m.text(l.Comment)
		m.raw(`</p>`)
	}
	m.raw("\n")
	if len(l.Changes) > 0 {
		m.raw(`<ul class="changes">`)
		for _, ch := range l.Changes {
			m.raw(`<li><span class="field-name">`)
			m.text(ch.Field)
			m.raw(`</span>`)
			if ch.Old != "" {
				m.raw(` <del>`)
				m.text(ch.Old)
				m.raw(`</del> →`)
			}
			n := ch.New
			if n == "" {
				n = "—"
			}
			m.raw(` <ins>`)
			m.text(n)
			m.raw(`</ins></li>`)
		}
		m.raw(`</ul>`)
	}
	m.raw("</li>")
	return m.html()
}
