package models

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestListTotalsFromCounters: the totals the lists read from customer_counts
// equal COUNT(*) over the same filter, for every role and every filter that
// has a counter, after records were created, edited, handed over, converted,
// moved by the activity write-back and deleted; and again after the counters
// were rebuilt from scratch by migration 0007, as on an existing database.
func TestListTotalsFromCounters(t *testing.T) {
	e := newEnv(t)
	if err := GenerateForTests(e.ctx, e.db, GenOptions{Customers: 300, Prospects: 120, Sales: 3, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	ids := func(kind string) []int64 {
		var out []int64
		rows, err := e.db.Read.QueryContext(e.ctx, `SELECT id FROM customers WHERE kind = ? ORDER BY id`, kind)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	items := func(typ string) []int64 {
		list, err := e.db.AuxItemsOf(e.ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	industries, grades := items("industry"), items("grade")

	// Edits through the form's path: a new industry, no grade any more.
	for _, id := range ids("customer")[:40] {
		c := e.get("customer", id)
		c.IndustryID = industries[rng.IntN(len(industries))]
		c.GradeID = 0
		if err := e.db.UpdateCustomer(e.ctx, e.admin, c); err != nil {
			t.Fatal(err)
		}
	}
	// Batch hand-over to one salesperson.
	if _, err := e.db.ChangeOwner(e.ctx, e.manager, "customer", ids("customer")[40:90], e.sales1.ID); err != nil {
		t.Fatal(err)
	}
	// New records of the test users, some without any category.
	for i := range 30 {
		c := Customer{Name: fmt.Sprintf("计数测试%d", i), OwnerID: e.sales2.ID}
		if i%2 == 0 {
			c.GradeID = grades[i%len(grades)]
		}
		e.create(e.admin, c)
	}
	// Conversions: the prospect stays (status converted), a customer appears.
	for _, id := range ids("prospect")[:10] {
		if _, err := e.db.ConvertProspect(e.ctx, e.admin, id); err != nil {
			t.Fatal(err)
		}
	}
	// Writes that bypass the Go code: the counters are triggers, so they follow.
	if _, err := e.db.Write.ExecContext(e.ctx, `UPDATE customers SET stage_id = NULL WHERE id % 9 = 0`); err != nil {
		t.Fatal(err)
	}
	var gone int64
	if err := e.db.Write.QueryRowContext(e.ctx, `SELECT id FROM customers WHERE name = '计数测试3'`).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.ExecContext(e.ctx, `DELETE FROM contacts WHERE customer_id = ?`, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.ExecContext(e.ctx, `DELETE FROM customers WHERE id = ?`, gone); err != nil {
		t.Fatal(err)
	}

	checked := e.compareTotals()
	if checked < 200 {
		t.Fatalf("only %d filters compared", checked)
	}

	// An existing database gets its counters from the migration's backfill.
	for _, stmt := range []string{`DROP TRIGGER customers_count_insert`, `DROP TRIGGER customers_count_delete`,
		`DROP TRIGGER customers_count_update`, `DROP TABLE customer_counts`} {
		if _, err := e.db.Write.ExecContext(e.ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	// Run migration 7 again on its own: later migrations are in place.
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.ExecContext(e.ctx, all[6].sql); err != nil {
		t.Fatal(err)
	}
	e.compareTotals()
}

// compareTotals compares the counter and COUNT(*) for every role, kind and
// counted filter, and returns how many it compared.
func (e *testEnv) compareTotals() int {
	e.t.Helper()
	var filters []CustomerFilter
	for _, kind := range []string{"customer", "prospect"} {
		filters = append(filters, CustomerFilter{Kind: kind})
		for _, typ := range []string{"industry", "grade", "region", "source", "sales_stage"} {
			list, err := e.db.AuxItemsOf(e.ctx, typ)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, a := range list {
				f := CustomerFilter{Kind: kind}
				switch typ {
				case "industry":
					f.IndustryID = a.ID
				case "grade":
					f.GradeID = a.ID
				case "region":
					f.RegionID = a.ID
				case "source":
					f.SourceID = a.ID
				case "sales_stage":
					f.StageID = a.ID
				}
				filters = append(filters, f)
			}
		}
	}
	n := 0
	// A supervisor whose team is sales1: their totals add up its counters.
	supervisor := Actor{ID: 999_999, Role: RoleSupervisor, team: "," + strconv.FormatInt(e.sales1.ID, 10) + ","}
	for _, actor := range []Actor{e.admin, e.manager, e.sales1, e.sales2, e.service, supervisor} {
		for _, base := range filters {
			for _, owner := range []int64{0, e.sales1.ID, e.sales2.ID} {
				f := base
				f.OwnerID = owner
				if _, _, _, ok := f.countKey(actor); !ok {
					continue
				}
				got, err := e.db.countCustomers(e.ctx, actor, f)
				if err != nil {
					e.t.Fatal(err)
				}
				where, args := f.where(actor)
				var want int
				if err := e.db.Read.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM customers c WHERE `+where, args...).Scan(&want); err != nil {
					e.t.Fatal(err)
				}
				if got != want {
					e.t.Errorf("actor %d (%s), filter %+v: counter says %d, COUNT(*) says %d", actor.ID, actor.Role, f, got, want)
				}
				n++
			}
		}
	}
	return n
}

// TestCountKeyOnlyForCountedFilters: filters without a counter are counted
// with COUNT(*), and a salesperson asking for a colleague's records gets 0.
func TestCountKeyOnlyForCountedFilters(t *testing.T) {
	e := newEnv(t)
	e.create(e.sales1, Customer{Name: "甲公司"})
	for _, f := range []CustomerFilter{
		{Kind: "customer", Q: "甲"}, {Kind: "customer", TraitID: 1}, {Kind: "customer", Status: "active"},
		{Kind: "customer", IndustryID: 1, GradeID: 2}, {Kind: "customer", LastFrom: "2026-01-01"},
		{Kind: "customer", IDs: []int64{1}},
	} {
		if _, _, _, ok := f.countKey(e.admin); ok {
			t.Errorf("%+v has a counter", f)
		}
	}
	f := CustomerFilter{Kind: "customer", OwnerID: e.sales1.ID}
	if n, err := e.db.countCustomers(e.ctx, e.sales2, f); err != nil || n != 0 {
		t.Errorf("sales2 counting sales1's customers: %d, %v; want 0", n, err)
	}
	if n, err := e.db.countCustomers(e.ctx, e.sales1, f); err != nil || n != 1 {
		t.Errorf("sales1 counting own customers: %d, %v; want 1", n, err)
	}
}
