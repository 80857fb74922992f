package models

import (
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Field checks shared by the forms and the importer. Each returns whether
// the (already trimmed) value is acceptable; empty values are the caller's
// business.

// ValidEmail accepts a bare address such as wang@example.com.
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// ValidPhone accepts digits and the usual separators, extensions included.
func ValidPhone(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-() .#转xX", r) {
			return false
		}
	}
	return true
}

// ValidWebsite accepts http and https URLs only, so a stored website can
// never become a javascript: link.
func ValidWebsite(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 300
}

// ValidDate accepts YYYY-MM-DD between 1900 and 2200.
func ValidDate(s string) bool {
	t, err := time.Parse("2006-01-02", s)
	return err == nil && t.Year() >= 1900 && t.Year() <= 2200
}

// TooLong reports whether s has more than n characters.
func TooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }
