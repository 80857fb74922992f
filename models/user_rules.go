package models

import (
	"errors"
	"strings"
)

// UserMaxLen are the lengths of a user's fields, in characters.
var UserMaxLen = map[string]int{"username": 40, "display_name": 60, "email": maxEmail}

// ValidUsername reports whether s can be a login name: 1 to 40 ASCII
// letters, digits, dots, hyphens and underscores (it shows in addresses,
// mails and logs, so nothing else).
func ValidUsername(s string) bool {
	if s == "" || len(s) > UserMaxLen["username"] {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r == '.' || r == '-' || r == '_' || r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'))
	}) < 0
}

// Validate checks a user's own fields (not the username, which never
// changes after creation, nor the password).
func (u *User) Validate() FieldErrors {
	errs := FieldErrors{}
	if u.DisplayName == "" {
		errs["display_name"] = "validation.required"
	}
	errs.tooLong("display_name", u.DisplayName, UserMaxLen["display_name"])
	if u.Email != "" && !ValidEmail(u.Email) {
		errs["email"] = "validation.email"
	}
	if u.Role == "" {
		errs["role"] = "validation.invalid_choice"
	}
	return errs
}

// CheckUserRole refuses a role this database does not have.
func (db *DB) CheckUserRole(r Role, errs FieldErrors) {
	if !db.RoleExists(r) {
		errs["role"] = "validation.invalid_choice"
	}
}

// Validate checks a new account: its fields, its login name and its
// password (the password policy of CheckPassword).
func (nu *NewUser) Validate() FieldErrors {
	u := User{DisplayName: nu.DisplayName, Email: nu.Email, Role: nu.Role}
	errs := u.Validate()
	switch {
	case nu.Username == "":
		errs["username"] = "validation.required"
	case !ValidUsername(nu.Username):
		errs["username"] = "users.username_invalid"
	}
	if key := CheckPassword(nu.Password, nu.Username); key != "" {
		errs["password"] = key
	}
	return errs
}

// passwordRuleText says in English, for the command line, which rule a
// password broke.
var passwordRuleText = map[string]string{
	"validation.password_short":    "it must have at least 10 characters",
	"validation.password_long":     "it must have at most 72 bytes",
	"validation.password_username": "it must not contain the username",
	"validation.password_common":   "it is one of the most common passwords",
}

// PasswordError is a refused password as an error, for the command line.
func PasswordError(key string) error {
	if t, ok := passwordRuleText[key]; ok {
		return errors.New(t)
	}
	return errors.New(key)
}
