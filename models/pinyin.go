package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Names in pinyin (issue 17). Chinese users expect a list sorted by name to
// run in pinyin order (上海宏达 before 上海启明 before 上海天润), not in code
// point order, and they find a customer or a contact on a Latin keyboard by
// the name's pinyin or its initials (zhangwei, zw → 张伟). Both are stored
// beside the name at every write (customers.name_pinyin, name_py and
// contacts.name_py, migration 0023), so the lists sort and search them
// with an index or a LIKE like any other column.

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal // no tone marks
	a.Heteronym = true      // every reading (曾: ceng, zeng), the most common first
	return a
}()

// readingCache holds the toneless readings of each Han character seen: the
// library strips tone marks with regular expressions, too slow to repeat
// for every name of a large import or an index rebuild.
var readingCache sync.Map // rune → []string

// PinyinReadings returns the toneless readings of a Han character, the most
// common first, without repeats; nil when the library has none. The search
// index (search/pinyin.go) tries them all; the lists use the first.
func PinyinReadings(r rune) []string {
	if v, ok := readingCache.Load(r); ok {
		return v.([]string)
	}
	var out []string
	for _, p := range pinyin.SinglePinyin(r, pinyinArgs) {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	readingCache.Store(r, out)
	return out
}

// syllable is r's most common reading without tone ("" for a character
// that is not Han or that the library does not know).
func syllable(r rune) string {
	if !unicode.Is(unicode.Han, r) {
		return ""
	}
	if rs := PinyinReadings(r); len(rs) > 0 {
		return rs[0]
	}
	return ""
}

// PinyinSortKey is the key a list sorts names by: each Han character as
// its syllable followed by a space, anything else lower-cased as it is
// ("上海 ABC 宏达" → "shang hai  abc hong da "). A space sorts before any
// letter, so "xi an" (西安) comes before "xian" (先).
func PinyinSortKey(name string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(name) {
		if s := syllable(r); s != "" {
			b.WriteString(s)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// PinyinSearchForms is what a pinyin search of a name looks in: the full
// pinyin and the initials, each without spaces, separated by a space
// ("张伟" → "zhangwei zw"; "" for a name without Han characters, which its
// own letters already find).
func PinyinSearchForms(name string) string {
	var full, initials strings.Builder
	han := false
	for _, r := range name {
		if s := syllable(r); s != "" {
			han = true
			full.WriteString(s)
			initials.WriteByte(s[0])
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			lr := unicode.ToLower(r)
			full.WriteRune(lr)
			initials.WriteRune(lr)
		}
	}
	if !han {
		return ""
	}
	return full.String() + " " + initials.String()
}

// pinyinQuery is the form of a list's search text that the pinyin columns
// are searched with: Latin letters and digits only, lower-cased, spaces
// dropped ("Zhang Wei" → "zhangwei"); "" when the text has anything else
// (Chinese text is searched in the name itself) or fewer than 2 letters.
func pinyinQuery(q string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(q) {
		switch {
		case r == ' ':
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		default:
			return ""
		}
	}
	if b.Len() < 2 {
		return ""
	}
	return b.String()
}

// fillPinyin writes the pinyin columns of the rows made before them
// (migration 0023).
func (db *DB) fillPinyin(ctx context.Context) error {
	err := db.fillFromName(ctx, "customers", "name_pinyin IS NULL", "name_pinyin = ?, name_py = ?", func(name string) []any {
		return []any{PinyinSortKey(name), PinyinSearchForms(name)}
	})
	if err != nil {
		return err
	}
	return db.fillFromName(ctx, "contacts", "name_py IS NULL", "name_py = ?", func(name string) []any {
		return []any{PinyinSearchForms(name)}
	})
}

// fillFromName sets columns derived from the name (set, with the values
// of derive) on the rows of table still to do (todo), a few thousand at a
// time. Each todo condition has a partial index, so on a database that has
// them all this reads nothing.
func (db *DB) fillFromName(ctx context.Context, table, todo, set string, derive func(name string) []any) error {
	for {
		rows, err := db.Write.QueryContext(ctx, `SELECT id, name FROM `+table+` WHERE `+todo+` ORDER BY id LIMIT 5000`)
		if err != nil {
			return err
		}
		type row struct {
			id   int64
			name string
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			for _, r := range batch {
				if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE id = ?`, append(derive(r.name), r.id)...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill %s of %s: %w", set, table, err)
		}
	}
}

// nameMatches reports whether a person typed prefix to mean the user with
// this login and display name: a prefix of either, or of the display
// name's full pinyin or initials. An empty prefix matches everyone.
func nameMatches(prefix, username, displayName string) bool {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if p == "" || strings.HasPrefix(strings.ToLower(username), p) || strings.HasPrefix(strings.ToLower(displayName), p) {
		return true
	}
	if q := pinyinQuery(p); q != "" {
		for _, form := range strings.Fields(PinyinSearchForms(displayName)) {
			if strings.HasPrefix(form, q) {
				return true
			}
		}
	}
	return false
}

// pinyinLike is the pinyin part of a list's text search: " OR col LIKE ?"
// for each column, with its pattern, when q is typed in Latin letters
// (pinyinQuery); "" otherwise.
func pinyinLike(q string, cols ...string) (string, []any) {
	pq := pinyinQuery(q)
	if pq == "" {
		return "", nil
	}
	var b strings.Builder
	var args []any
	for _, col := range cols {
		b.WriteString(" OR " + col + ` LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(pq)+"%")
	}
	return b.String(), args
}
