package models

import (
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Field checks shared by the forms and the importer. Each returns whether
// the (already trimmed) value is acceptable; empty values are the caller's
// business.

// The longest phone number, e-mail address and website accepted.
const (
	maxPhone   = 40
	maxEmail   = 254
	maxWebsite = 300
)

// ValidEmail accepts a bare address such as wang@example.com.
func ValidEmail(s string) bool {
	if len(s) > maxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// ValidPhone accepts digits and the usual separators, extensions included.
func ValidPhone(s string) bool {
	if len(s) > maxPhone {
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
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= maxWebsite
}

// ValidDate accepts YYYY-MM-DD between 1900 and 2200.
func ValidDate(s string) bool {
	t, err := time.Parse("2006-01-02", s)
	return err == nil && t.Year() >= 1900 && t.Year() <= 2200
}

// TooLong reports whether s has more than n characters.
func TooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// ErrInvalid is what FieldErrors are: input the rules refuse. Handlers map
// it, like the other domain errors, to a status in one place.
var ErrInvalid = errors.New("invalid input")

// FieldErrors maps a field (its form name) to a message key. It is the one
// shape of a refused input for every door into the data — the forms, the
// importer and the API — and it is an error, so the create and update
// functions return it when a check that needs the database fails.
type FieldErrors map[string]string

// Any reports whether there are errors.
func (e FieldErrors) Any() bool { return len(e) > 0 }

// Fields lists the fields with errors, sorted, for a stable report.
func (e FieldErrors) Fields() []string {
	out := make([]string, 0, len(e))
	for f := range e {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func (e FieldErrors) Error() string {
	parts := make([]string, 0, len(e))
	for _, f := range e.Fields() {
		parts = append(parts, f+": "+e[f])
	}
	return "invalid input (" + strings.Join(parts, ", ") + ")"
}

// Is makes errors.Is(err, ErrInvalid) true for field errors.
func (e FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Merge adds other's errors under prefix + field.
func (e FieldErrors) Merge(prefix string, other FieldErrors) {
	for f, k := range other {
		e[prefix+f] = k
	}
}

// AsFieldErrors returns the field errors err carries, if any.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

func (e FieldErrors) tooLong(field, v string, n int) {
	if TooLong(v, n) {
		e[field] = "validation.too_long"
	}
}

// Field lengths in characters, for the checks and the forms' maxlength.
var (
	CustomerMaxLen = map[string]int{"name": 200, "short_name": 100, "address": 300, "notes": 5000,
		"phone": maxPhone, "email": maxEmail, "website": maxWebsite}
	ContactMaxLen = map[string]int{"name": 100, "title": 100, "phone": maxPhone, "mobile": maxPhone, "email": maxEmail}
)

// Validate checks a customer's or prospect's own fields; the checks that
// need the database (category items, owner) are in CheckCustomer.
func (c *Customer) Validate() FieldErrors {
	errs := FieldErrors{}
	if c.Name == "" {
		errs["name"] = "validation.required"
	}
	for _, f := range []struct {
		name, v string
	}{{"name", c.Name}, {"short_name", c.ShortName}, {"address", c.Address}, {"notes", c.Notes}} {
		errs.tooLong(f.name, f.v, CustomerMaxLen[f.name])
	}
	if c.Phone != "" && !ValidPhone(c.Phone) {
		errs["phone"] = "validation.phone"
	}
	if c.Email != "" && !ValidEmail(c.Email) {
		errs["email"] = "validation.email"
	}
	if c.Website != "" && !ValidWebsite(c.Website) {
		errs["website"] = "validation.website"
	}
	if c.Status != "" && c.Status != "active" && c.Status != "inactive" && c.Status != "converted" {
		errs["status"] = "validation.invalid_choice"
	}
	if len(c.TraitIDs) > 50 {
		errs["traits"] = "validation.invalid_choice"
	}
	return errs
}

// TextField is the customer's text field of that form name (nil for none):
// the importer leaves a refused optional value empty through it.
func (c *Customer) TextField(name string) *string {
	switch name {
	case "name":
		return &c.Name
	case "short_name":
		return &c.ShortName
	case "address":
		return &c.Address
	case "phone":
		return &c.Phone
	case "email":
		return &c.Email
	case "website":
		return &c.Website
	case "notes":
		return &c.Notes
	}
	return nil
}

// Validate checks a contact's fields.
func (k *Contact) Validate() FieldErrors {
	errs := FieldErrors{}
	if k.Name == "" {
		errs["name"] = "validation.required"
	}
	errs.tooLong("name", k.Name, ContactMaxLen["name"])
	errs.tooLong("title", k.Title, ContactMaxLen["title"])
	if k.Phone != "" && !ValidPhone(k.Phone) {
		errs["phone"] = "validation.phone"
	}
	if k.Mobile != "" && !ValidPhone(k.Mobile) {
		errs["mobile"] = "validation.phone"
	}
	if k.Email != "" && !ValidEmail(k.Email) {
		errs["email"] = "validation.email"
	}
	if k.Birthday != "" && !ValidDate(k.Birthday) {
		errs["birthday"] = "validation.date"
	}
	return errs
}

// TextField is the contact's text field of that form name (nil for none).
func (k *Contact) TextField(name string) *string {
	switch name {
	case "name":
		return &k.Name
	case "title":
		return &k.Title
	case "phone":
		return &k.Phone
	case "mobile":
		return &k.Mobile
	case "email":
		return &k.Email
	case "birthday":
		return &k.Birthday
	}
	return nil
}
