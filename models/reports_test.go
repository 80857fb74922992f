package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The report tests build a known fixture with direct inserts (so every
// column, dates and stamps included, is under the test's control), keep
// what they inserted in Go slices, and check each analysis against numbers
// computed from those slices, independently of the SQL under test.

type fxCust struct {
	id, owner                          int64
	kind, name, code                   string
	industry, grade, region, source    int64
	createdAt, lastActivity, createdOn string // createdOn: the local day of createdAt
}

type fxAct struct {
	id, owner, cust, method, stage int64
	date                           string
	comps                          []int64
}

type fxPlan struct {
	owner  int64
	date   string
	status string
}

type fxOpp struct {
	owner, stage, amount int64
	prob                 int
	status, close        string
}

type fxTarget struct {
	notified, attended bool
	head               int
	feedback           string
}

type fxCamp struct {
	id, owner    int64
	name, start  string
	budget, cost int64
	targets      []fxTarget
}

type fxIssue struct {
	cust, typ        int64
	priority, status string
	reportedOn       string  // local day
	hours            float64 // to resolve; < 0 while open
}

type reportFixture struct {
	*testEnv
	sales     []Actor
	names     map[int64]string
	custs     []fxCust
	acts      []fxAct
	compNames map[int64]string
	plans     []fxPlan
	opps      []fxOpp
	camps     []fxCamp
	issues    []fxIssue
	today     time.Time
}

var fxRange = DateRange{From: "2025-07-01", To: "2026-06-30"}

func newReportFixture(t *testing.T) *reportFixture {
	t.Helper()
	e := newEnv(t)
	f := &reportFixture{testEnv: e, names: map[int64]string{}, compNames: map[int64]string{}}
	f.today = time.Date(2026, 3, 15, 10, 0, 0, 0, e.db.Location())
	f.sales = []Actor{e.sales1, e.sales2, e.user("sales3", RoleSales)}
	for _, a := range append(slices.Clone(f.sales), e.manager) {
		u, err := e.db.UserByID(e.ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.names[a.ID] = u.DisplayName
	}
	rng := rand.New(rand.NewPCG(7, 11))
	items := func(typ string) []int64 {
		list, err := e.db.AuxItemsOf(e.ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, it := range list {
			out = append(out, it.ID)
		}
		return out
	}
	orNone := func(ids []int64) int64 { // one in six is left empty
		if rng.IntN(6) == 0 {
			return 0
		}
		return ids[rng.IntN(len(ids))]
	}
	industries, grades, regions, sources := items("industry"), items("grade"), items("region"), items("source")
	issueTypes := items("issue_type")
	methods, stages := items("activity_method"), items("sales_stage")
	randDay := func(from time.Time, days int) string { return from.AddDate(0, 0, rng.IntN(days)).Format("2006-01-02") }
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	loc := e.db.Location()
	err := e.db.WithTx(e.ctx, func(tx *sql.Tx) error {
		now := stamp(time.Now())
		for i := range 70 {
			c := fxCust{kind: "customer", owner: f.sales[rng.IntN(3)].ID, industry: orNone(industries), grade: orNone(grades),
				region: orNone(regions), source: orNone(sources)}
			if i >= 60 {
				c.kind = "prospect"
			}
			c.name, c.code = fmt.Sprintf("测试客户%02d", i), fmt.Sprintf("FX%03d", i)
			created := start.Add(time.Duration(rng.IntN(546*24)) * time.Hour).Add(time.Duration(rng.IntN(60)) * time.Minute)
			c.createdAt, c.createdOn = stamp(created), created.In(loc).Format("2006-01-02")
			if rng.IntN(4) > 0 {
				c.lastActivity = randDay(start, 546)
			}
			res, err := tx.ExecContext(e.ctx, `INSERT INTO customers (kind, code, name, industry_id, grade_id, region_id, source_id,
				owner_id, last_activity_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.kind, c.code, c.name, nullInt(c.industry), nullInt(c.grade), nullInt(c.region), nullInt(c.source), c.owner,
				nullStr(c.lastActivity), c.createdAt, now)
			if err != nil {
				return err
			}
			if c.id, err = res.LastInsertId(); err != nil {
				return err
			}
			f.custs = append(f.custs, c)
		}
		var comps []int64
		for _, name := range []string{"华腾科技", "金石软件", "远大集团", "恒信设备"} {
			res, err := tx.ExecContext(e.ctx, `INSERT INTO competitors (name, created_at, updated_at) VALUES (?, ?, ?)`, name, now, now)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			comps = append(comps, id)
			f.compNames[id] = name
		}
		for i := range 600 {
			c := f.custs[rng.IntN(len(f.custs))]
			a := fxAct{owner: f.sales[rng.IntN(3)].ID, cust: c.id, date: randDay(start, 546), method: orNone(methods), stage: orNone(stages)}
			if i%7 == 0 {
				a.owner = c.owner
			}
			res, err := tx.ExecContext(e.ctx, `INSERT INTO activities (code, date, owner_id, customer_id, method_id, stage_id, subject,
				created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '拜访', ?, ?)`, fmt.Sprintf("FXA%04d", i), a.date, a.owner, a.cust,
				nullInt(a.method), nullInt(a.stage), now, now)
			if err != nil {
				return err
			}
			if a.id, err = res.LastInsertId(); err != nil {
				return err
			}
			for _, k := range rng.Perm(len(comps))[:rng.IntN(3)] {
				a.comps = append(a.comps, comps[k])
				if _, err := tx.ExecContext(e.ctx, `INSERT INTO activity_competitors (activity_id, competitor_id) VALUES (?, ?)`,
					a.id, comps[k]); err != nil {
					return err
				}
			}
			f.acts = append(f.acts, a)
		}
		for i := range 250 {
			p := fxPlan{owner: f.sales[rng.IntN(3)].ID, date: randDay(start, 546), status: PlanStatuses[rng.IntN(3)]}
			if _, err := tx.ExecContext(e.ctx, `INSERT INTO plans (code, date, owner_id, customer_id, subject, status, origin, created_at,
				updated_at) VALUES (?, ?, ?, ?, '回访', ?, 'manual', ?, ?)`, fmt.Sprintf("FXP%04d", i), p.date, p.owner,
				f.custs[rng.IntN(60)].id, p.status, now, now); err != nil {
				return err
			}
			f.plans = append(f.plans, p)
		}
		for i := range 60 {
			o := fxOpp{owner: f.sales[rng.IntN(3)].ID, stage: orNone(stages), amount: int64(rng.IntN(5000000)), prob: rng.IntN(101),
				status: OpportunityStatuses[rng.IntN(3)]}
			if rng.IntN(5) > 0 {
				o.close = randDay(start, 730)
			}
			if _, err := tx.ExecContext(e.ctx, `INSERT INTO opportunities (code, name, customer_id, owner_id, amount_fen, expected_close,
				stage_id, probability, status, created_at, updated_at) VALUES (?, '项目', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("FXO%03d", i), f.custs[rng.IntN(60)].id, o.owner, o.amount, nullStr(o.close), nullInt(o.stage), o.prob,
				o.status, now, now); err != nil {
				return err
			}
			f.opps = append(f.opps, o)
		}
		owners := append(slices.Clone(f.sales), e.manager)
		for i := range 8 {
			m := fxCamp{owner: owners[rng.IntN(4)].ID, name: fmt.Sprintf("活动%d", i), start: randDay(start, 546),
				budget: int64(rng.IntN(1000000)), cost: int64(rng.IntN(1000000))}
			res, err := tx.ExecContext(e.ctx, `INSERT INTO campaigns (code, name, start_date, end_date, budget, actual_cost, owner_id,
				created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("FXM%d", i), m.name, m.start, m.start,
				m.budget, m.cost, m.owner, now, now)
			if err != nil {
				return err
			}
			if m.id, err = res.LastInsertId(); err != nil {
				return err
			}
			for j, k := range rng.Perm(60)[:rng.IntN(15)] {
				tg := fxTarget{notified: rng.IntN(3) > 0, attended: rng.IntN(3) == 0, head: rng.IntN(4)}
				if rng.IntN(4) == 0 {
					tg.feedback = "有兴趣"
				}
				if _, err := tx.ExecContext(e.ctx, `INSERT INTO campaign_targets (campaign_id, customer_id, name, notified, attended,
					head_count, feedback, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.id, f.custs[k].id,
					fmt.Sprintf("对象%d", j), tg.notified, tg.attended, tg.head, tg.feedback, now, now); err != nil {
					return err
				}
				m.targets = append(m.targets, tg)
			}
			f.camps = append(f.camps, m)
		}
		for i := range 300 {
			x := fxIssue{cust: f.custs[rng.IntN(len(f.custs))].id, typ: orNone(issueTypes), priority: IssuePriorities[rng.IntN(4)],
				status: IssueStatuses[rng.IntN(5)], hours: -1}
			reported := start.Add(time.Duration(rng.IntN(546*24*60)) * time.Minute)
			x.reportedOn = reported.In(loc).Format("2006-01-02")
			var resolved any
			if x.status != "new" && x.status != "handling" {
				x.hours = float64(rng.IntN(300*60)) / 60
				resolved = stamp(reported.Add(time.Duration(x.hours * float64(time.Hour))))
			}
			if _, err := tx.ExecContext(e.ctx, `INSERT INTO issues (code, customer_id, reported_at, type_id, priority, subject, status,
				due_at, resolved_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '无法开机', ?, ?, ?, ?, ?)`, fmt.Sprintf("FXI%04d", i),
				x.cust, stamp(reported), nullInt(x.typ), x.priority, x.status, stamp(reported.Add(24*time.Hour)), resolved, now, now); err != nil {
				return err
			}
			f.issues = append(f.issues, x)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func inRange(d string, r DateRange) bool {
	return d != "" && (r.From == "" || d >= r.From) && (r.To == "" || d <= r.To)
}

// visible applies the row rule of the sales sources by hand.
func visible(a Actor, owner, filter int64) bool {
	if a.Role == RoleSales {
		return owner == a.ID
	}
	return filter == 0 || owner == filter
}

// run runs built-in key for actor and returns its rows by their first cell.
func (f *reportFixture) run(a Actor, key string, r DateRange, owner int64) map[any][]any {
	f.t.Helper()
	id, err := f.db.BuiltinReportID(f.ctx, key)
	if err != nil {
		f.t.Fatal(err)
	}
	rep, err := f.db.GetReport(f.ctx, f.admin, id)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.db.RunReport(f.ctx, a, rep, RunOptions{Range: r, OwnerID: owner, Today: f.today})
	if err != nil {
		f.t.Fatalf("%s: %v", key, err)
	}
	out := map[any][]any{}
	for _, row := range res.Rows {
		if len(row) != len(res.Columns) {
			f.t.Fatalf("%s: row has %d cells, %d columns", key, len(row), len(res.Columns))
		}
		if _, dup := out[row[0]]; dup {
			f.t.Fatalf("%s: %v listed twice", key, row[0])
		}
		out[row[0]] = row[1:]
	}
	return out
}

// same compares a report's rows with the expected ones, floats to 1e-9.
func same(t *testing.T, name string, got, want map[any][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d\n got %v\nwant %v", name, len(got), len(want), got, want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: row %v missing", name, k)
			continue
		}
		if len(g) != len(w) {
			t.Errorf("%s %v: %v, want %v", name, k, g, w)
			continue
		}
		for i := range w {
			if !sameValue(g[i], w[i]) {
				t.Errorf("%s %v column %d: %v (%T), want %v (%T)", name, k, i+1, g[i], g[i], w[i], w[i])
			}
		}
	}
}

func sameValue(g, w any) bool {
	switch wv := w.(type) {
	case float64:
		gv, ok := g.(float64)
		return ok && math.Abs(gv-wv) < 1e-9
	case int:
		gv, ok := g.(int64)
		return ok && gv == int64(wv)
	}
	return g == w
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) * 100 / float64(b)
}

func TestBuiltinActivityAnalyses(t *testing.T) {
	f := newReportFixture(t)
	cases := []struct {
		who   string
		actor Actor
		owner int64
		r     DateRange
	}{
		{"manager, one year", f.manager, 0, fxRange},
		{"manager, all time", f.manager, 0, DateRange{}},
		{"manager filtering sales2", f.manager, f.sales2.ID, fxRange},
		{"sales1 sees own only", f.sales1, 0, fxRange},
		{"sales1 cannot filter for a colleague", f.sales1, f.sales2.ID, fxRange},
		{"service sees none", f.service, 0, fxRange},
	}
	for _, tc := range cases {
		t.Run(tc.who, func(t *testing.T) {
			var acts []fxAct
			for _, a := range f.acts {
				if tc.actor.Role != RoleService && visible(tc.actor, a.owner, tc.owner) && (tc.r.Open() || inRange(a.date, tc.r)) {
					acts = append(acts, a)
				}
			}
			group := func(key func(a fxAct) any, customers bool) map[any][]any {
				n, custs := map[any]int{}, map[any]map[int64]bool{}
				for _, a := range acts {
					k := key(a)
					n[k]++
					if custs[k] == nil {
						custs[k] = map[int64]bool{}
					}
					custs[k][a.cust] = true
				}
				out := map[any][]any{}
				for k, c := range n {
					out[k] = []any{c, pct(c, len(acts))}
					if customers {
						out[k] = []any{c, len(custs[k]), pct(c, len(acts))}
					}
				}
				return out
			}
			same(t, "by salesperson", f.run(tc.actor, "activities_by_salesperson", tc.r, tc.owner),
				group(func(a fxAct) any { return f.names[a.owner] }, true))
			same(t, "by method", f.run(tc.actor, "activities_by_method", tc.r, tc.owner), group(func(a fxAct) any { return a.method }, false))
			same(t, "by stage", f.run(tc.actor, "activities_by_stage", tc.r, tc.owner), group(func(a fxAct) any { return a.stage }, false))

			byCust := map[any][]any{}
			counts, last := map[int64]int{}, map[int64]string{}
			for _, a := range acts {
				counts[a.cust]++
				last[a.cust] = max(last[a.cust], a.date)
			}
			for _, c := range f.custs {
				if counts[c.id] > 0 {
					byCust[c.name] = []any{c.code, counts[c.id], last[c.id], pct(counts[c.id], len(acts))}
				}
			}
			same(t, "by customer", f.run(tc.actor, "activities_by_customer", tc.r, tc.owner), byCust)

			mentions, mcusts, total := map[any]int{}, map[any]map[int64]bool{}, 0
			for _, a := range acts {
				for _, c := range a.comps {
					k := f.compNames[c]
					mentions[k]++
					total++
					if mcusts[k] == nil {
						mcusts[k] = map[int64]bool{}
					}
					mcusts[k][a.cust] = true
				}
			}
			byComp := map[any][]any{}
			for k, n := range mentions {
				byComp[k] = []any{n, len(mcusts[k]), pct(n, total)}
			}
			same(t, "by competitor", f.run(tc.actor, "activities_by_competitor", tc.r, tc.owner), byComp)
		})
	}
	if len(f.run(f.manager, "activities_by_salesperson", fxRange, 0)) != 3 {
		t.Fatal("the fixture should give every salesperson activities in the period")
	}
}

func TestBuiltinPlanCompletion(t *testing.T) {
	f := newReportFixture(t)
	today := f.today.Format("2006-01-02")
	for _, tc := range []struct {
		who   string
		actor Actor
		owner int64
	}{{"manager", f.manager, 0}, {"manager filtering sales3", f.manager, f.sales[2].ID}, {"sales2", f.sales2, 0}} {
		t.Run(tc.who, func(t *testing.T) {
			type counts struct{ n, done, cancelled, overdue int }
			by := map[int64]*counts{}
			for _, p := range f.plans {
				if !visible(tc.actor, p.owner, tc.owner) || !inRange(p.date, fxRange) {
					continue
				}
				c := by[p.owner]
				if c == nil {
					c = &counts{}
					by[p.owner] = c
				}
				c.n++
				switch {
				case p.status == "done":
					c.done++
				case p.status == "cancelled":
					c.cancelled++
				case p.date < today:
					c.overdue++
				}
			}
			want := map[any][]any{}
			for owner, c := range by {
				want[f.names[owner]] = []any{c.n, c.done, c.cancelled, c.overdue, c.n - c.done - c.cancelled - c.overdue,
					pct(c.done, c.n-c.cancelled)}
			}
			same(t, "plan completion", f.run(tc.actor, "plan_completion", fxRange, tc.owner), want)
		})
	}
}

func TestBuiltinCustomerAnalyses(t *testing.T) {
	f := newReportFixture(t)
	r := DateRange{From: "2025-10-01", To: "2026-03-31"}
	for _, tc := range []struct {
		who   string
		actor Actor
		owner int64
	}{{"manager", f.manager, 0}, {"service reads all", f.service, 0}, {"manager filtering sales1", f.manager, f.sales1.ID},
		{"sales2", f.sales2, 0}} {
		t.Run(tc.who, func(t *testing.T) {
			for key, pick := range map[string]func(c fxCust) int64{
				"customers_by_industry": func(c fxCust) int64 { return c.industry },
				"customers_by_grade":    func(c fxCust) int64 { return c.grade },
				"customers_by_region":   func(c fxCust) int64 { return c.region },
				"customers_by_source":   func(c fxCust) int64 { return c.source },
			} {
				type counts struct{ n, created, contacted int }
				by := map[int64]*counts{}
				total := 0
				for _, c := range f.custs {
					if c.kind != "customer" || (tc.actor.Role == RoleSales && c.owner != tc.actor.ID) ||
						(tc.actor.Role != RoleSales && tc.owner != 0 && c.owner != tc.owner) {
						continue
					}
					k := by[pick(c)]
					if k == nil {
						k = &counts{}
						by[pick(c)] = k
					}
					k.n++
					total++
					if inRange(c.createdOn, r) {
						k.created++
					}
					if inRange(c.lastActivity, r) {
						k.contacted++
					}
				}
				want := map[any][]any{}
				for id, k := range by {
					want[id] = []any{k.n, k.created, k.contacted, pct(k.n, total)}
				}
				same(t, key, f.run(tc.actor, key, r, tc.owner), want)
			}
		})
	}
}

func TestBuiltinPipelineAndCampaigns(t *testing.T) {
	f := newReportFixture(t)
	for _, tc := range []struct {
		who   string
		actor Actor
		owner int64
		r     DateRange
	}{{"manager", f.manager, 0, fxRange}, {"manager, all", f.manager, 0, DateRange{}}, {"sales1", f.sales1, 0, fxRange},
		{"manager filtering sales2", f.manager, f.sales2.ID, DateRange{}}} {
		t.Run(tc.who, func(t *testing.T) {
			type sums struct{ n, amount, weighted int64 }
			by := map[int64]*sums{}
			for _, o := range f.opps {
				if o.status != "open" || !visible(tc.actor, o.owner, tc.owner) || (!tc.r.Open() && !inRange(o.close, tc.r)) {
					continue
				}
				s := by[o.stage]
				if s == nil {
					s = &sums{}
					by[o.stage] = s
				}
				s.n++
				s.amount += o.amount
				s.weighted += o.amount * int64(o.prob) / 100
			}
			want := map[any][]any{}
			for stage, s := range by {
				want[stage] = []any{s.n, s.amount, s.weighted}
			}
			same(t, "pipeline", f.run(tc.actor, "pipeline_by_stage", tc.r, tc.owner), want)

			camps := map[any][]any{}
			for _, m := range f.camps {
				if (tc.actor.Role == RoleSales && m.owner != tc.actor.ID) || (tc.actor.Role != RoleSales && tc.owner != 0 && m.owner != tc.owner) ||
					(!tc.r.Open() && !inRange(m.start, tc.r)) {
					continue
				}
				var notified, responded, heads, attended int
				for _, tg := range m.targets {
					if tg.notified {
						notified++
					}
					if tg.attended || tg.feedback != "" {
						responded++
					}
					if tg.attended {
						attended++
						heads += max(tg.head, 1)
					}
				}
				var perHead int64
				if heads > 0 {
					perHead = m.cost / int64(heads)
				}
				camps[m.name] = []any{m.start, m.budget, m.cost, len(m.targets), notified, responded, heads,
					pct(responded, notified), pct(attended, notified), perHead}
			}
			same(t, "campaigns", f.run(tc.actor, "campaign_results", tc.r, tc.owner), camps)
		})
	}
}

func TestBuiltinIssueAnalyses(t *testing.T) {
	f := newReportFixture(t)
	ownerOf := map[int64]int64{}
	for _, c := range f.custs {
		ownerOf[c.id] = c.owner
	}
	for _, tc := range []struct {
		who   string
		actor Actor
		r     DateRange
	}{{"manager", f.manager, fxRange}, {"service", f.service, DateRange{From: "2025-03-01", To: "2025-12-31"}},
		{"sales3 sees the issues of own customers", f.sales[2], fxRange}} {
		t.Run(tc.who, func(t *testing.T) {
			for _, by := range []string{"type", "priority"} {
				type acc struct {
					n, open, resolved int
					hours             []float64
				}
				groups := map[any]*acc{}
				for _, x := range f.issues {
					if !inRange(x.reportedOn, tc.r) || (tc.actor.Role == RoleSales && ownerOf[x.cust] != tc.actor.ID) {
						continue
					}
					var k any = x.typ
					if by == "priority" {
						k = x.priority
					}
					g := groups[k]
					if g == nil {
						g = &acc{}
						groups[k] = g
					}
					g.n++
					if x.status == "new" || x.status == "handling" {
						g.open++
					}
					if x.hours >= 0 {
						g.resolved++
						g.hours = append(g.hours, x.hours)
					}
				}
				want := map[any][]any{}
				for k, g := range groups {
					row := []any{g.n, g.open, g.resolved, nil, nil}
					if len(g.hours) > 0 {
						sum := 0.0
						for _, h := range g.hours {
							sum += h
						}
						sorted := slices.Clone(g.hours)
						slices.Sort(sorted)
						// nearest rank: the ceil(0.9 n)-th smallest
						row[3], row[4] = sum/float64(len(g.hours)), sorted[int(math.Ceil(0.9*float64(len(sorted))))-1]
					}
					want[k] = row
				}
				got := f.run(tc.actor, "issues_by_"+by, tc.r, 0)
				// Hours come from stamps with second precision: compare to the minute.
				for k, row := range got {
					for _, i := range []int{3, 4} {
						if h, ok := row[i].(float64); ok {
							row[i] = math.Round(h*60) / 60
						}
						if h, ok := want[k][i].(float64); ok && want[k] != nil {
							want[k][i] = math.Round(h*60) / 60
						}
					}
				}
				same(t, "issues by "+by, got, want)
			}
		})
	}
	if p := Percentile([]float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}, 90); p != 9 {
		t.Errorf("Percentile = %v, want 9", p)
	}
}

// TestCustomReportJoinAndGroup: a saved report over activities, joined to
// their customers, grouped by the customer's industry, against numbers
// computed from the fixture; and the same report run by a salesperson
// covers only their records.
func TestCustomReportJoinAndGroup(t *testing.T) {
	f := newReportFixture(t)
	def := ReportDef{Source: "activities", Joins: []string{"customer"},
		Filters: []ReportFilter{{Field: "date", Op: "between", Value: fxRange.From, Value2: fxRange.To},
			{Field: "customer.kind", Op: "eq", Value: "customer"}},
		GroupBy:    []ReportGroup{{Field: "customer.industry"}},
		Aggregates: []ReportAgg{{Func: "count"}, {Func: "count_distinct", Field: "customer.code"}, {Func: "max", Field: "date"}},
		Chart:      "bar"}
	rep := &Report{Name: "按行业统计活动", Category: "分析", Definition: def}
	if err := f.db.SaveReport(f.ctx, f.manager, rep); err != nil {
		t.Fatal(err)
	}
	saved, err := f.db.GetReport(f.ctx, f.manager, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Definition.JSON() != def.JSON() {
		t.Fatalf("stored definition %s, want %s", saved.Definition.JSON(), def.JSON())
	}
	kindOf := map[int64]fxCust{}
	for _, c := range f.custs {
		kindOf[c.id] = c
	}
	for _, who := range []Actor{f.manager, f.sales1, f.sales2} {
		want := map[any][]any{}
		type agg struct {
			n     int
			codes map[string]bool
			last  string
		}
		by := map[int64]*agg{}
		for _, a := range f.acts {
			c := kindOf[a.cust]
			if !visible(who, a.owner, 0) || !inRange(a.date, fxRange) || c.kind != "customer" {
				continue
			}
			// Row rules apply to the joined customer too: a salesperson's
			// record about a colleague's customer shows no customer data,
			// so it does not pass the customer.kind filter.
			if who.Role == RoleSales && c.owner != who.ID {
				continue
			}
			g := by[c.industry]
			if g == nil {
				g = &agg{codes: map[string]bool{}}
				by[c.industry] = g
			}
			g.n++
			g.codes[c.code] = true
			g.last = max(g.last, a.date)
		}
		for ind, g := range by {
			var key any = ind
			if ind == 0 {
				key = nil
			}
			want[key] = []any{g.n, len(g.codes), g.last}
		}
		res, err := f.db.RunReport(f.ctx, who, saved, RunOptions{Today: f.today})
		if err != nil {
			t.Fatal(err)
		}
		got := map[any][]any{}
		for _, row := range res.Rows {
			got[row[0]] = row[1:]
		}
		same(t, fmt.Sprintf("custom report as %v", who.Role), got, want)
		if res.Chart != "bar" || res.Groups != 1 || !slices.Equal(res.Charted, []int{1, 2}) {
			t.Errorf("chart %q groups %d charted %v", res.Chart, res.Groups, res.Charted)
		}
	}
	// Sorted by the count, largest first, unless asked otherwise.
	res, err := f.db.RunReport(f.ctx, f.manager, saved, RunOptions{Today: f.today})
	if err != nil {
		t.Fatal(err)
	}
	if !sort.SliceIsSorted(res.Rows, func(i, j int) bool { return asInt(res.Rows[i][1]) > asInt(res.Rows[j][1]) }) {
		t.Errorf("rows not sorted by count: %v", res.Rows)
	}
}

func TestCustomReportListAndRelativeDates(t *testing.T) {
	f := newReportFixture(t)
	def := ReportDef{Source: "activities", Joins: []string{"owner", "customer"},
		Columns: []string{"code", "date", "owner.name", "customer.name", "method"},
		Filters: []ReportFilter{{Field: "date", Op: "last_days", Value: "30"}}, Sort: &ReportSort{Column: 1}}
	cr, err := CompileReport(def, CompileOptions{Actor: f.manager, Today: f.today, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.db.queryRows(f.ctx, cr.SQL+" LIMIT 10000", cr.Args...)
	if err != nil {
		t.Fatal(err)
	}
	from, to := "2026-02-14", "2026-03-15" // 30 days ending today
	var want []string
	for _, a := range f.acts {
		if a.date >= from && a.date <= to {
			want = append(want, a.date)
		}
	}
	sort.Strings(want)
	var got []string
	for _, r := range rows {
		got = append(got, r[1].(string))
		if name, _ := r[3].(string); !strings.HasPrefix(name, "测试客户") {
			t.Errorf("row %v lacks its customer", r)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("last 30 days: %v, want %v", got, want)
	}
	this, ok := ResolvePeriod("this_month", f.today)
	if !ok || this != (DateRange{From: "2026-03-01", To: "2026-03-31"}) {
		t.Errorf("this_month = %v", this)
	}
	if r, _ := ResolvePeriod("last_quarter", f.today); r != (DateRange{From: "2025-10-01", To: "2025-12-31"}) {
		t.Errorf("last_quarter = %v", r)
	}
	if r, _ := ResolvePeriod("last_week", f.today); r != (DateRange{From: "2026-03-02", To: "2026-03-08"}) {
		t.Errorf("last_week = %v", r)
	}
}

// TestReportDefinitionErrors: everything the whitelist does not know is a
// ReportDefError with the right key, before any SQL runs.
func TestReportDefinitionErrors(t *testing.T) {
	e := newEnv(t)
	today := time.Date(2026, 3, 15, 0, 0, 0, 0, e.db.Location())
	base := func(mod func(d *ReportDef)) ReportDef {
		d := ReportDef{Source: "activities", Joins: []string{"customer"}, GroupBy: []ReportGroup{{Field: "customer.industry"}}}
		mod(&d)
		return d
	}
	cases := []struct {
		name, key string
		def       ReportDef
		actor     Actor
	}{
		{"unknown source", "unknown_source", ReportDef{Source: "users"}, e.manager},
		{"a table name as source", "unknown_source", ReportDef{Source: "activities; DROP TABLE users"}, e.manager},
		{"unknown relation", "unknown_relation", base(func(d *ReportDef) { d.Joins = []string{"customer.plans"} }), e.manager},
		{"relation cycle", "relation_cycle", base(func(d *ReportDef) { d.Joins = []string{"next_plan.source_activity"} }), e.manager},
		{"too deep", "too_deep", base(func(d *ReportDef) { d.Joins = []string{"next_plan.customer.owner.x"} }), e.manager},
		{"unknown field", "unknown_field", base(func(d *ReportDef) { d.GroupBy[0].Field = "customer.password_hash" }), e.manager},
		{"field of a relation not joined", "unknown_field", base(func(d *ReportDef) { d.GroupBy[0].Field = "owner.name" }), e.manager},
		{"SQL as field", "unknown_field", base(func(d *ReportDef) { d.GroupBy[0].Field = "date) FROM users --" }), e.manager},
		{"unknown operator", "unknown_operator", base(func(d *ReportDef) {
			d.Filters = []ReportFilter{{Field: "date", Op: "like", Value: "%"}}
		}), e.manager},
		{"operator of another type", "operator_not_for_type", base(func(d *ReportDef) {
			d.Filters = []ReportFilter{{Field: "subject", Op: "gt", Value: "1"}}
		}), e.manager},
		{"date that is no date", "bad_value", base(func(d *ReportDef) {
			d.Filters = []ReportFilter{{Field: "date", Op: "ge", Value: "2026-02-30"}}
		}), e.manager},
		{"number that is text", "bad_value", ReportDef{Source: "opportunities", Columns: []string{"name"},
			Filters: []ReportFilter{{Field: "probability", Op: "gt", Value: "fifty"}}}, e.manager},
		{"unknown enum value", "bad_value", ReportDef{Source: "plans", Columns: []string{"code"},
			Filters: []ReportFilter{{Field: "status", Op: "eq", Value: "deleted"}}}, e.manager},
		{"unknown period", "bad_value", base(func(d *ReportDef) { d.Filters = []ReportFilter{{Field: "date", Op: "period", Value: "forever"}} }), e.manager},
		{"unknown aggregate", "unknown_aggregate", base(func(d *ReportDef) { d.Aggregates = []ReportAgg{{Func: "median", Field: "date"}} }), e.manager},
		{"sum of text", "aggregate_not_for_type", base(func(d *ReportDef) { d.Aggregates = []ReportAgg{{Func: "sum", Field: "subject"}} }), e.manager},
		{"sum of nothing", "aggregate_needs_field", base(func(d *ReportDef) { d.Aggregates = []ReportAgg{{Func: "sum"}} }), e.manager},
		{"bucket of text", "bad_bucket", base(func(d *ReportDef) { d.GroupBy = []ReportGroup{{Field: "subject", Bucket: "month"}} }), e.manager},
		{"sort beyond the columns", "bad_sort", base(func(d *ReportDef) { d.Sort = &ReportSort{Column: 5} }), e.manager},
		{"negative limit", "bad_limit", base(func(d *ReportDef) { d.Limit = -1 }), e.manager},
		{"unknown chart", "bad_chart", base(func(d *ReportDef) { d.Chart = "radar" }), e.manager},
		{"chart without groups", "chart_needs_group", ReportDef{Source: "activities", Columns: []string{"code"}, Chart: "pie"}, e.manager},
		{"nothing to show", "no_columns", ReportDef{Source: "activities"}, e.manager},
		{"columns and groups", "columns_with_group", base(func(d *ReportDef) { d.Columns = []string{"code"} }), e.manager},
		{"service builds on activities", "source_not_allowed", ReportDef{Source: "activities", Columns: []string{"code"}}, e.service},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileReport(tc.def, CompileOptions{Actor: tc.actor, Today: today, Strict: true})
			var de *ReportDefError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a ReportDefError", err)
			}
			if de.Key != "report.err."+tc.key {
				t.Errorf("key %s, want report.err.%s", de.Key, tc.key)
			}
		})
	}
	for _, bad := range []string{`{"source":"activities","columns":["code"],"drop":1}`, `{"source":1}`, `[]`, `{"source":"activities"} {}`} {
		if _, err := ParseReportDef([]byte(bad)); err == nil {
			t.Errorf("ParseReportDef(%s) accepted it", bad)
		}
	}
}

// TestReportUsers: who may open a report, who sees it in the list, and who
// may change its users.
func TestReportUsers(t *testing.T) {
	e := newEnv(t)
	rep := &Report{Name: "我的报表", Definition: ReportDef{Source: "customers", Columns: []string{"name"}}}
	if err := e.db.SaveReport(e.ctx, e.sales1, rep); err != nil {
		t.Fatal(err)
	}
	canOpen := func(a Actor) bool {
		_, err := e.db.GetReport(e.ctx, a, rep.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		list, lerr := e.db.ListReports(e.ctx, a)
		if lerr != nil {
			t.Fatal(lerr)
		}
		listed := slices.ContainsFunc(list, func(r Report) bool { return r.ID == rep.ID })
		if listed != (err == nil) {
			t.Errorf("%v: listed %v but opens %v", a, listed, err == nil)
		}
		return err == nil
	}
	check := func(step string, want map[Actor]bool) {
		t.Helper()
		for a, w := range want {
			if got := canOpen(a); got != w {
				t.Errorf("%s: %v opens %v, want %v", step, a.Role, got, w)
			}
		}
	}
	check("new report", map[Actor]bool{e.sales1: true, e.admin: true, e.sales2: false, e.manager: false, e.service: false})
	if err := e.db.SetReportUsers(e.ctx, e.sales2, rep.ID, []Role{RoleSales}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a colleague changed the report users: %v", err)
	}
	if err := e.db.SetReportUsers(e.ctx, e.sales1, rep.ID, []Role{RoleManager}, []int64{e.service.ID}); err != nil {
		t.Fatal(err)
	}
	check("shared with managers and the service user", map[Actor]bool{e.sales1: true, e.admin: true, e.sales2: false,
		e.manager: true, e.service: true})
	if err := e.db.SetReportUsers(e.ctx, e.admin, rep.ID, []Role{RoleSales}, nil); err != nil {
		t.Fatal(err)
	}
	check("shared with salespeople by the admin", map[Actor]bool{e.sales2: true, e.manager: false, e.service: false})
	// The built-ins follow their seeded roles: service staff do not open the
	// activity analyses, salespeople do.
	id, err := e.db.BuiltinReportID(e.ctx, "activities_by_salesperson")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.GetReport(e.ctx, e.service, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("service opens the activity analysis: %v", err)
	}
	if _, err := e.db.GetReport(e.ctx, e.sales2, id); err != nil {
		t.Errorf("sales cannot open the activity analysis: %v", err)
	}
	if err := e.db.SetReportUsers(e.ctx, e.manager, id, []Role{RoleService}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a manager changed a built-in's users: %v", err)
	}
}

// TestScheduledMailOncePerPeriod: queueing the same period twice queues one
// message; a new period queues another.
func TestScheduledMailOncePerPeriod(t *testing.T) {
	e := newEnv(t)
	m := &OutgoingMail{To: "boss@example.com", ToName: "老板", Subject: "日报", Text: "内容", HTML: "<p>内容</p>"}
	for i, tc := range []struct {
		period string
		want   bool
	}{{"2026-03-15T00:00:00Z", true}, {"2026-03-15T00:00:00Z", false}, {"2026-03-16T00:00:00Z", true}} {
		ok, err := e.db.QueueReportMail(e.ctx, "digest", e.manager.ID, e.manager.ID, tc.period, m, "crm.test")
		if err != nil {
			t.Fatal(err)
		}
		if ok != tc.want {
			t.Errorf("call %d for %s: queued %v, want %v", i, tc.period, ok, tc.want)
		}
	}
	var n int
	if err := e.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE to_email = 'boss@example.com'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d messages queued, want 2", n)
	}
}

// FuzzReportDefinition feeds random definitions to the query builder: it
// either refuses one with a ReportDefError or produces SQL that SQLite
// prepares (and runs).
func FuzzReportDefinition(f *testing.F) {
	for _, seed := range []string{
		`{"source":"activities","joins":["customer","customer.owner"],"group_by":[{"field":"customer.owner.name"}],"aggregates":[{"func":"count"}],"chart":"bar"}`,
		`{"source":"opportunities","joins":["owner"],"columns":["name","amount","owner.role"],"filters":[{"field":"amount","op":"between","value":"10","value2":"1,000.5"}],"sort":{"column":1,"desc":true},"limit":5}`,
		`{"source":"plans","group_by":[{"field":"date","bucket":"quarter"},{"field":"status"}],"aggregates":[{"func":"avg","field":"done"}],"chart":"line"}`,
		`{"source":"campaign_targets","joins":["campaign","customer"],"filters":[{"field":"mail_status","op":"in","values":["sent","none"]},{"field":"customer.created_at","op":"period","value":"last_month"}],"columns":["name","campaign.name"]}`,
		`{"source":"contacts","joins":["customer"],"filters":[{"field":"customer.industry","op":"in","values":["1","2"]},{"field":"birthday","op":"next_days","value":"30"}],"columns":["name"]}`,
		`{"source":"activities","joins":["next_plan.source_activity"],"columns":["code"]}`,
		`{"source":"issues","joins":["article","assignee"],"group_by":[{"field":"reported_at","bucket":"month"}],"aggregates":[{"func":"avg","field":"resolve_hours"},{"func":"max","field":"article.views"}]}`,
		`{"source":"customers","filters":[{"field":"name","op":"contains","value":"%_\\'"}],"columns":["name"]}`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	check := reportFuzzChecker(f)
	f.Fuzz(func(t *testing.T, data []byte, who uint8) {
		def, err := ParseReportDef(data)
		if err != nil {
			var de *ReportDefError
			if !errors.As(err, &de) {
				t.Fatalf("parse error is not a ReportDefError: %v", err)
			}
			return
		}
		check(t, def, who)
	})
}

// FuzzReportVocabulary builds definitions from the whitelist's own words
// (and a few it does not know), so the fuzzer reaches deep into the
// builder instead of stopping at malformed JSON.
func FuzzReportVocabulary(f *testing.F) {
	for _, seed := range []string{"\x03\x01\x00\x02\x05\x01", "\x04\x02\x01\x07\x03\x02\x09\x01\x00\x05", "\xff\x10\x20\x30\x40\x50\x60\x70\x80\x90"} {
		f.Add([]byte(seed), uint8(1))
	}
	var relations, fields []string
	for _, s := range reportSources {
		for _, r := range s.relations {
			relations = append(relations, r.name)
		}
		for _, fl := range s.fields {
			fields = append(fields, fl.name)
		}
	}
	sources := append(slices.Clone(reportSourceOrder), "users", "counterparts", "")
	relations = append(relations, "owner_id", "activities")
	fields = append(fields, "id", "password_hash", "")
	ops := append(slices.Clone(ReportOps), "like", "")
	aggs := append(slices.Clone(ReportAggFuncs), "median", "")
	buckets := append(slices.Clone(ReportBuckets), "", "week")
	charts := append(slices.Clone(ReportCharts), "", "radar")
	values := []string{"", "1", "-3", "0", "2026-03-01", "2026-02-30", "abc", "this_month", "last_7_days", "all", "1,000.5", "%",
		"'", "planned", "customer", "3660", "99999", "1e308", "NaN", "urgent"}
	check := reportFuzzChecker(f)
	f.Fuzz(func(t *testing.T, data []byte, who uint8) {
		next := func(n int) int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b) % n
		}
		pick := func(xs []string) string { return xs[next(len(xs))] }
		var def ReportDef
		def.Source = pick(sources)
		for range next(4) {
			path := pick(relations)
			for range next(3) {
				path += "." + pick(relations)
			}
			def.Joins = append(def.Joins, path)
		}
		fieldPath := func() string {
			if len(def.Joins) > 0 && next(2) == 0 {
				return def.Joins[next(len(def.Joins))] + "." + pick(fields)
			}
			return pick(fields)
		}
		for range next(4) {
			def.Columns = append(def.Columns, fieldPath())
		}
		for range next(4) {
			fl := ReportFilter{Field: fieldPath(), Op: pick(ops), Value: pick(values), Value2: pick(values)}
			for range next(3) {
				fl.Values = append(fl.Values, pick(values))
			}
			def.Filters = append(def.Filters, fl)
		}
		for range next(3) {
			def.GroupBy = append(def.GroupBy, ReportGroup{Field: fieldPath(), Bucket: pick(buckets)})
		}
		for range next(3) {
			def.Aggregates = append(def.Aggregates, ReportAgg{Func: pick(aggs), Field: fieldPath()})
		}
		if next(2) == 0 {
			def.Sort = &ReportSort{Column: next(6) - 1, Desc: next(2) == 0}
		}
		def.Limit = []int{0, 0, 5, -1, 100001}[next(5)]
		def.Chart = pick(charts)
		check(t, def, who)
	})
}

// reportFuzzChecker compiles a definition as one of four actors and, when
// the whitelist accepts it, prepares and runs its SQL on a real database.
func reportFuzzChecker(f *testing.F) func(t *testing.T, def ReportDef, who uint8) {
	db := newFuzzDB(f)
	ctx := context.Background()
	today := time.Date(2026, 3, 15, 9, 0, 0, 0, db.Location())
	actors := []Actor{{ID: 1, Role: RoleAdmin}, {ID: 2, Role: RoleSales}, {ID: 3, Role: RoleService}, {ID: 4, Role: RoleManager}}
	return func(t *testing.T, def ReportDef, who uint8) {
		opt := CompileOptions{Actor: actors[int(who)%len(actors)], Today: today, Strict: who%2 == 0}
		cr, err := CompileReport(def, opt)
		if err != nil {
			var de *ReportDefError
			if !errors.As(err, &de) {
				t.Fatalf("compile error is not a ReportDefError: %v", err)
			}
			return
		}
		stmt, err := db.Read.PrepareContext(ctx, cr.SQL+" LIMIT 5")
		if err != nil {
			t.Fatalf("SQLite refuses the SQL of %+v:\n%s\n%v", def, cr.SQL, err)
		}
		defer stmt.Close()
		rows, err := stmt.QueryContext(ctx, cr.Args...)
		if err != nil {
			t.Fatalf("running %+v: %v\n%s %v", def, err, cr.SQL, cr.Args)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) != len(cr.Columns) {
			t.Fatalf("%d SQL columns, %d report columns", len(cols), len(cr.Columns))
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("running %+v: %v", def, err)
		}
	}
}

func newFuzzDB(f *testing.F) *DB {
	f.Helper()
	ctx := context.Background()
	db, err := Open(ctx, f.TempDir()+"/fuzz.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.Loc, err = time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	return db
}

// TestPreAggregateMatchesPlain: for reports grouped by fields of a related
// source, the query that aggregates the base rows per related row first
// gives the same rows as the plain join, for a manager and under a
// salesperson's row rules.
func TestPreAggregateMatchesPlain(t *testing.T) {
	f := newReportFixture(t)
	rewritten := 0
	for _, src := range []string{"activities", "plans", "opportunities", "contacts", "campaign_targets", "issues"} {
		s := reportSources[src]
		var aggs []ReportAgg
		var baseFilter []ReportFilter
		aggs = append(aggs, ReportAgg{Func: "count"})
		for _, fl := range s.fields {
			for _, fn := range []string{"sum", "avg", "min", "max", "count"} {
				if fn == "count" || slices.Contains(aggTypes[fn], fl.typ) {
					aggs = append(aggs, ReportAgg{Func: fn, Field: fl.name})
				}
			}
			if fl.typ == TypeDate && baseFilter == nil {
				baseFilter = []ReportFilter{{Field: fl.name, Op: "between", Value: "2025-03-01", Value2: "2026-02-28"}}
			}
		}
		for _, r := range s.relations {
			if !strings.HasPrefix(r.on, "{t}.id = {p}.") {
				continue
			}
			target := reportSources[r.target]
			for _, fl := range target.fields {
				if fl.typ == TypeText && fl.name != "name" && fl.name != "code" {
					continue // long free text: nothing to learn from grouping by it
				}
				group := ReportGroup{Field: r.name + "." + fl.name}
				if fl.typ == TypeDate || fl.typ == TypeDatetime {
					group.Bucket = "month"
				}
				for k := 0; k < len(aggs); k += 4 {
					def := ReportDef{Source: src, Joins: []string{r.name}, GroupBy: []ReportGroup{group},
						Aggregates: aggs[k:min(k+4, len(aggs))], Filters: baseFilter}
					if k%8 == 4 {
						def.Filters = append(slices.Clone(def.Filters), ReportFilter{Field: group.Field, Op: "not_empty"})
						if fl.typ == TypeBool || fl.typ == TypeEnum || fl.typ == TypeMoney {
							def.Filters = def.Filters[:len(def.Filters)-1]
						}
					}
					for _, who := range []Actor{f.manager, f.sales1} {
						opt := CompileOptions{Actor: who, Today: f.today}
						pre, err := CompileReport(def, opt)
						if err != nil {
							t.Fatalf("%s: %v", def.JSON(), err)
						}
						opt.NoPreAggregate = true
						plain, err := CompileReport(def, opt)
						if err != nil {
							t.Fatal(err)
						}
						if pre.SQL == plain.SQL {
							t.Fatalf("not rewritten: %s", def.JSON())
						}
						rewritten++
						rows := func(cr *CompiledReport) []string {
							got, err := f.db.queryRows(f.ctx, cr.SQL, cr.Args...)
							if err != nil {
								t.Fatalf("%s\n%s: %v", def.JSON(), cr.SQL, err)
							}
							var out []string
							for _, row := range got {
								for i, v := range row {
									if x, ok := v.(float64); ok {
										row[i] = math.Round(x*1e6) / 1e6
									}
								}
								out = append(out, fmt.Sprint(row))
							}
							sort.Strings(out)
							return out
						}
						if a, b := rows(pre), rows(plain); !slices.Equal(a, b) {
							t.Errorf("%s as %v:\npre-aggregated %v\nplain          %v\n%s", def.JSON(), who.Role, a, b, pre.SQL)
						}
					}
				}
			}
		}
	}
	if rewritten < 100 {
		t.Fatalf("only %d definitions compared", rewritten)
	}
	// What cannot be rewritten is not: a distinct count, an aggregate of a
	// related field, groups from two relations, a filter on another one.
	for _, def := range []ReportDef{
		{Source: "activities", Joins: []string{"customer"}, GroupBy: []ReportGroup{{Field: "customer.industry"}},
			Aggregates: []ReportAgg{{Func: "count_distinct", Field: "owner_id"}}},
		{Source: "activities", Joins: []string{"customer"}, GroupBy: []ReportGroup{{Field: "customer.industry"}},
			Aggregates: []ReportAgg{{Func: "count_distinct", Field: "customer.code"}}},
		{Source: "activities", Joins: []string{"customer", "owner"}, GroupBy: []ReportGroup{{Field: "customer.industry"}, {Field: "owner.name"}}},
		{Source: "activities", Joins: []string{"customer", "owner"}, GroupBy: []ReportGroup{{Field: "customer.industry"}},
			Filters: []ReportFilter{{Field: "owner.role", Op: "eq", Value: "sales"}}},
		{Source: "activities", Joins: []string{"next_plan"}, GroupBy: []ReportGroup{{Field: "next_plan.status"}}},
	} {
		pre, err := CompileReport(def, CompileOptions{Actor: f.manager, Today: f.today})
		if err != nil && !strings.Contains(err.Error(), "unknown_field") {
			t.Fatal(err)
		}
		if err == nil && strings.Contains(pre.SQL, ") p LEFT JOIN") {
			t.Errorf("rewritten, but must not be: %s", def.JSON())
		}
	}
}
