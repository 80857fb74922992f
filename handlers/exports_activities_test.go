package handlers

import (
	"encoding/csv"
	"strings"
	"testing"

	"keyuan/models"
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

// The issue export of a salesperson holds only their own customers' issues;
// the knowledge base export holds every article.
func TestServiceExportsFollowRowRules(t *testing.T) {
	f := newServiceFixture(t)
	res := f.app.login("sales1").get("/issues/export.csv?view=all")
	if !strings.Contains(res.Body, f.ownIssue.Subject) || strings.Contains(res.Body, f.otherIssue.Subject) {
		t.Fatalf("sales export: %s", res.Body)
	}
	res = f.app.login("kefu").get("/issues/export.csv?view=all")
	if !strings.Contains(res.Body, f.ownIssue.Subject) || !strings.Contains(res.Body, f.otherIssue.Subject) {
		t.Fatal("service export misses issues")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(f.app.login("sales1").get("/kb/export.csv").Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(models.SeedArticles) {
		t.Fatalf("%d articles exported, %d in the base", len(rows)-1, len(models.SeedArticles))
	}
}
