package handlers

import (
	"encoding/csv"
	"strings"
	"testing"
)

// The exports of the activity lists hold exactly the rows the user may see.
func TestActivityListExportsFollowRowRules(t *testing.T) {
	w := newActWorld(t)
	read := func(user, path string) [][]string {
		t.Helper()
		res := w.login(user).get(path)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatalf("%s %s: %v", user, path, err)
		}
		return rows
	}
	for _, path := range []string{"/activities/export.csv", "/plans/export.csv", "/opportunities/export.csv"} {
		mine, theirs, boss := read("zhang", path), read("li", path), read("zhuguan", path)
		if len(mine) < 2 {
			t.Errorf("%s: the owner's export has no rows", path)
		}
		if len(theirs) != 1 {
			t.Errorf("%s: a colleague's export has %d rows", path, len(theirs)-1)
		}
		if len(boss) != len(mine) {
			t.Errorf("%s: manager sees %d rows, owner %d", path, len(boss)-1, len(mine)-1)
		}
	}
}
