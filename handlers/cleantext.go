package handlers

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Clean text in, clean text out. Browsers send valid UTF-8 and no control
// characters but tab and line breaks; anything else comes from a crafted
// request or a bad paste, and once stored it ends up in exports (NUL bytes
// in a CSV), e-mail and the search index. Every form and query value is
// cleaned before a handler reads it, where a person cannot see the
// difference:
//
//   - bytes that are not valid UTF-8 are dropped;
//   - NUL and the other C0 and C1 control characters and DEL are dropped,
//     except tab and line feed;
//   - a line break sent as CR LF (as browsers send a textarea's) or a lone
//     CR becomes LF.
//
// Nothing a user typed is refused for these: what is dropped cannot be typed
// or seen. Lengths and formats are then checked by each form as before.

// cleanText returns v cleaned as above; v itself when it is clean (the usual
// case costs one pass and no allocation).
func cleanText(v string) string {
	if isCleanText(v) {
		return v
	}
	v = strings.ToValidUTF8(v, "")
	var b strings.Builder
	b.Grow(len(v))
	for i, r := range v {
		switch {
		case r == '\r':
			if i+1 < len(v) && v[i+1] == '\n' {
				continue // the LF follows
			}
			b.WriteByte('\n')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isCleanText(v string) bool {
	for i := 0; i < len(v); {
		if c := v[i]; c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if (r == utf8.RuneError && size == 1) || r <= 0x9f { // invalid, or a C1 control
			return false
		}
		i += size
	}
	return true
}

// cleanValues cleans every key and value in place.
func cleanValues(vals url.Values) {
	for k, vs := range vals {
		ck := cleanText(k)
		for i, v := range vs {
			vs[i] = cleanText(v)
		}
		if ck != k {
			delete(vals, k)
			vals[ck] = append(vals[ck], vs...)
		}
	}
}

// cleanQuery rewrites the request's query string when any of it is dirty.
func cleanQuery(u *url.URL) {
	if u.RawQuery == "" {
		return
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return // the handlers see what url.Values makes of it, as before
	}
	dirty := false
	for k, vs := range q {
		if !isCleanText(k) {
			dirty = true
		}
		for _, v := range vs {
			if !isCleanText(v) {
				dirty = true
			}
		}
	}
	if dirty {
		cleanValues(q)
		u.RawQuery = q.Encode()
	}
}
