package models

import (
	"strings"
	"testing"
)

// TestVisibleSearchRefsLooksIdsUp: the check of a page of search hits looks
// each id up by its key, for every kind and as a salesperson too. SQLite
// chose the index of (kind, owner, status, latest activity) for the
// customers' part and walked every customer of the kind: 9 ms a search at
// 100,000 customers.
func TestVisibleSearchRefsLooksIdsUp(t *testing.T) {
	e := newEnv(t)
	byKind := map[string][]string{}
	for _, k := range SearchKinds {
		byKind[k] = []string{"1", "2", "3"}
	}
	for _, actor := range []Actor{e.admin, e.sales1} {
		query, args := visibleSearchSQL(actor, byKind)
		rows, err := e.db.Read.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if (strings.HasPrefix(step, "SEARCH") || strings.HasPrefix(step, "SCAN")) && !strings.Contains(step, "PRIMARY KEY") {
				t.Errorf("as %s, a step does not look ids up: %s\n%s", actor.Role, step, strings.Join(plan, "\n"))
			}
		}
	}
	// And it still answers: an existing customer of the actor's, no one else's.
	mine := e.create(e.sales1, Customer{Kind: "customer", Name: "可见客户有限公司"})
	theirs := e.create(e.sales2, Customer{Kind: "customer", Name: "他人客户有限公司"})
	got, err := e.db.VisibleSearchRefs(e.ctx, e.sales1, []SearchRef{{Kind: "customer", ID: mine.ID}, {Kind: "customer", ID: theirs.ID},
		{Kind: "prospect", ID: mine.ID}})
	if err != nil || !got[SearchRef{Kind: "customer", ID: mine.ID}] || len(got) != 1 {
		t.Errorf("visible: %v (%v)", got, err)
	}
}
