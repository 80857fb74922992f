package views

import (
	"html/template"
	"strings"
	"unicode/utf8"
)

// serviceFuncs are the template functions of the service and search screens.
func serviceFuncs(md *Markdown) template.FuncMap {
	return template.FuncMap{
		"markdown": md.Render,
		// splitWords splits keywords at spaces and commas.
		"splitWords": func(s string) []string {
			return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '，' || r == '、' || r == ';' })
		},
		// clip shortens s to n characters with an ellipsis.
		"clip": func(n int, s string) string {
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			return string([]rune(s)[:n]) + "…"
		},
	}
}
