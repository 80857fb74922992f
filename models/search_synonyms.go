package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode"
)

// The admin's search synonym list (基础设置 → 搜索同义词) is kept in
// settings, one group per line with its words separated by ", ". The search
// service reads it at start and after each save; until an admin saves one,
// the search package's built-in starter list applies.
const settingSearchSynonyms = "search.synonyms"

// Limits of the synonym list, so no list can make every search expensive.
const (
	MaxSynonymGroups    = 500
	MaxSynonymLineRunes = 200
	MaxSynonymWordRunes = 30
)

// CheckSynonyms parses the text of the synonym form: one group per line,
// words separated by commas (, ，), 、, semicolons or |; a line without any
// of those is split at spaces instead, so "登不上 无法登录" works too while
// "log in, sign in" keeps its phrases. Blank lines are skipped. Repeated
// words in a group count once.
//
// A refused list gives FieldErrors on "synonyms" and the number (from 1) of
// the first line at fault, so the form can say where to look: a line of
// separators only (empty group), a group of one word, a line or word that
// is too long, or too many groups.
func CheckSynonyms(text string) (groups [][]string, errs FieldErrors, line int) {
	text = strings.ToValidUTF8(text, "")
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		fail := func(key string) ([][]string, FieldErrors, int) {
			return nil, FieldErrors{"synonyms": key}, i + 1
		}
		if TooLong(raw, MaxSynonymLineRunes) {
			return fail("synonyms.err_long")
		}
		if len(groups) == MaxSynonymGroups {
			return fail("synonyms.err_too_many")
		}
		var group []string
		for _, w := range splitSynonymLine(raw) {
			w = strings.Join(strings.Fields(strings.Map(dropControl, w)), " ")
			if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
				continue // punctuation alone is not a word
			}
			if TooLong(w, MaxSynonymWordRunes) {
				return fail("synonyms.err_long")
			}
			if !containsFold(group, w) {
				group = append(group, w)
			}
		}
		switch len(group) {
		case 0:
			return fail("synonyms.err_empty")
		case 1:
			return fail("synonyms.err_one_word")
		}
		groups = append(groups, group)
	}
	return groups, nil, 0
}

func dropControl(r rune) rune {
	if unicode.IsControl(r) {
		return -1
	}
	return r
}

// synonymSeparators split the words of a line.
const synonymSeparators = ",，、;；|"

func splitSynonymLine(line string) []string {
	if strings.ContainsAny(line, synonymSeparators) {
		return strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(synonymSeparators, r) })
	}
	return strings.Fields(line)
}

func containsFold(list []string, w string) bool {
	for _, v := range list {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

// FormatSynonyms is the text of a list as the form shows and the settings
// keep it: one group a line, words separated by ", ".
func FormatSynonyms(groups [][]string) string {
	lines := make([]string, len(groups))
	for i, g := range groups {
		lines[i] = strings.Join(g, ", ")
	}
	return strings.Join(lines, "\n")
}

// SearchSynonyms returns the saved synonym list; saved is false when no
// admin has saved one (the built-in starter list applies). An empty saved
// list is a choice: no synonyms.
func (db *DB) SearchSynonyms(ctx context.Context) (groups [][]string, saved bool, err error) {
	var v string
	err = db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSearchSynonyms).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	// What was saved passed CheckSynonyms; should the limits ever shrink,
	// the groups that still pass are better than none. Not nil: an empty
	// saved list means no synonyms, not the starter list.
	groups = [][]string{}
	for _, line := range strings.Split(v, "\n") {
		if g, errs, _ := CheckSynonyms(line); errs == nil && len(g) == 1 {
			groups = append(groups, g[0])
		}
	}
	return groups, true, nil
}

// SaveSearchSynonyms checks the text of the synonym form and stores it. It
// returns the groups stored, or FieldErrors (see CheckSynonyms).
func (db *DB) SaveSearchSynonyms(ctx context.Context, text string) ([][]string, error) {
	groups, errs, _ := CheckSynonyms(text)
	if errs != nil {
		return nil, errs
	}
	return groups, db.SetSetting(ctx, settingSearchSynonyms, FormatSynonyms(groups))
}
