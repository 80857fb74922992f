package models

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The password policy for new passwords. Passwords set before it keep
// working; the policy applies when a password is chosen: by the first admin
// (KEYUAN_ADMIN_PASSWORD), by an admin for a user, and by a user for
// themself.
const (
	MinPasswordLen = 10
	// MaxPasswordBytes is what bcrypt hashes; anything after it would be
	// silently ignored, so a longer password is refused.
	MaxPasswordBytes = 72
)

//go:embed passwords/common.txt
var commonPasswordFile string

// commonPasswords is the embedded list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool, 31000)
	for line := range strings.Lines(commonPasswordFile) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
})

// CheckPassword returns the message key of the rule a new password breaks,
// or "" when it is acceptable: at least MinPasswordLen characters, at most
// MaxPasswordBytes bytes, not a common password (also with digits or
// symbols only added before or after one, as in "password2026!"), and not
// containing the username.
func CheckPassword(pw, username string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return "validation.password_short"
	case len(pw) > MaxPasswordBytes:
		return "validation.password_long"
	}
	lower := strings.ToLower(pw)
	if u := strings.ToLower(strings.TrimSpace(username)); len(u) >= 3 && strings.Contains(lower, u) {
		return "validation.password_username"
	}
	if IsCommonPassword(lower) {
		return "validation.password_common"
	}
	return ""
}

// IsCommonPassword reports whether pw is in the embedded list, alone or
// padded with digits and symbols (which guessers try first), or is made of
// digits and symbols only.
func IsCommonPassword(pw string) bool {
	lower := strings.ToLower(pw)
	set := commonPasswords()
	if set[lower] {
		return true
	}
	padding := func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	}
	core := strings.TrimFunc(lower, padding)
	return core == "" || set[core]
}
