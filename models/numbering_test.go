package models

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNumberingFormat(t *testing.T) {
	at := time.Date(2010, 12, 8, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		rule NumberingRule
		n    int64
		want string
	}{
		{"spec example", NumberingRule{Prefix: "HD", DatePart: "YYYYMMDD", Width: 3}, 1, "HD20101208001"},
		{"no date part", NumberingRule{Prefix: "KH", DatePart: "", Width: 5}, 42, "KH00042"},
		{"year", NumberingRule{Prefix: "SC", DatePart: "YYYY", Width: 4}, 7, "SC20100007"},
		{"year and month", NumberingRule{Prefix: "WT", DatePart: "YYYYMM", Width: 4}, 12, "WT2010120012"},
		{"width 1", NumberingRule{Prefix: "A", DatePart: "", Width: 1}, 9, "A9"},
		{"width 12", NumberingRule{Prefix: "B-", DatePart: "YYYYMMDD", Width: 12}, 1, "B-20101208000000000001"},
		{"serial wider than width keeps every digit", NumberingRule{Prefix: "KH", Width: 3}, 12345, "KH12345"},
		{"no prefix", NumberingRule{DatePart: "YYYY", Width: 2}, 3, "201003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Format(at, tt.n); got != tt.want {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNumberingRepeatsNumbers(t *testing.T) {
	for _, dp := range DateParts {
		for _, reset := range ResetPeriods {
			r := NumberingRule{DatePart: dp, Reset: reset}
			// The rule repeats exactly when two instants in different reset
			// periods can format to the same date part.
			want := false
			switch reset {
			case "yearly":
				want = dp == ""
			case "monthly":
				want = dp == "" || dp == "YYYY"
			case "daily":
				want = dp != "YYYYMMDD"
			}
			t.Run(fmt.Sprintf("%s/%s", reset, dp), func(t *testing.T) {
				if got := r.RepeatsNumbers(); got != want {
					t.Errorf("RepeatsNumbers = %v, want %v", got, want)
				}
			})
		}
	}
}

func TestSaveNumberingRuleRefusesRepeatingRule(t *testing.T) {
	e := newEnv(t)
	err := e.db.SaveNumberingRule(e.ctx, e.admin.ID, NumberingRule{Kind: "customer", Prefix: "KH", DatePart: "", Width: 5, Reset: "yearly"})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	rules, err := e.db.NumberingRules(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rules[0].Kind != "customer" || rules[0].Reset != "never" {
		t.Fatalf("rule changed anyway: %+v", rules[0])
	}
}

// allocate takes the next number of kind in its own transaction.
func (e *testEnv) allocate(kind string) string {
	e.t.Helper()
	var code string
	err := e.db.WithTx(e.ctx, func(tx *sql.Tx) error {
		var err error
		code, err = e.db.NextNumber(e.ctx, tx, kind)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func TestNumberingResetPeriods(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	local := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	type step struct {
		at   time.Time
		want string
	}
	tests := []struct {
		name  string
		rule  NumberingRule
		steps []step
	}{
		{"never", NumberingRule{Prefix: "N", DatePart: "", Width: 3, Reset: "never"}, []step{
			{local("2026-12-31 23:00"), "N001"},
			{local("2027-01-01 08:00"), "N002"},
			{local("2028-06-01 08:00"), "N003"},
		}},
		{"never with a date part keeps counting", NumberingRule{Prefix: "N", DatePart: "YYYY", Width: 3, Reset: "never"}, []step{
			{local("2026-12-31 23:00"), "N2026001"},
			{local("2027-01-01 08:00"), "N2027002"},
		}},
		{"yearly", NumberingRule{Prefix: "Y", DatePart: "YYYY", Width: 3, Reset: "yearly"}, []step{
			{local("2026-12-31 23:59"), "Y2026001"},
			{local("2026-12-31 23:59"), "Y2026002"},
			{local("2027-01-01 00:00"), "Y2027001"},
			{local("2027-06-01 00:00"), "Y2027002"},
		}},
		{"monthly", NumberingRule{Prefix: "M", DatePart: "YYYYMM", Width: 2, Reset: "monthly"}, []step{
			{local("2026-03-31 10:00"), "M20260301"},
			{local("2026-04-01 10:00"), "M20260401"},
			{local("2026-04-30 10:00"), "M20260402"},
			{local("2026-05-01 10:00"), "M20260501"},
		}},
		{"daily", NumberingRule{Prefix: "HD", DatePart: "YYYYMMDD", Width: 3, Reset: "daily"}, []step{
			{local("2026-03-05 10:00"), "HD20260305001"},
			{local("2026-03-05 23:59"), "HD20260305002"},
			{local("2026-03-06 00:01"), "HD20260306001"},
			{local("2026-03-06 12:00"), "HD20260306002"},
		}},
		// The period follows the business's time zone, not UTC: 16:30 UTC is
		// already the next day in Shanghai.
		{"daily in the business time zone", NumberingRule{Prefix: "D", DatePart: "YYYYMMDD", Width: 3, Reset: "daily"}, []step{
			{time.Date(2026, 3, 5, 15, 0, 0, 0, time.UTC), "D20260305001"},
			{time.Date(2026, 3, 5, 16, 30, 0, 0, time.UTC), "D20260306001"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.rule.Kind = "activity"
			if err := e.db.SaveNumberingRule(e.ctx, e.admin.ID, tt.rule); err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				e.setClock(s.at)
				prev, err := e.db.PreviewNumber(e.ctx, tt.rule)
				if err != nil {
					t.Fatal(err)
				}
				got := e.allocate("activity")
				if got != s.want {
					t.Errorf("step %d at %s: got %q, want %q", i, s.at.In(shanghai), got, s.want)
				}
				if prev != got {
					t.Errorf("step %d: preview %q but allocated %q", i, prev, got)
				}
			}
		})
	}
}

// TestConcurrentCreateNumbers saves 200 customers at once: every one must
// get its own number and together they must be exactly 1..200.
func TestConcurrentCreateNumbers(t *testing.T) {
	e := newEnv(t)
	const n = 200
	codes := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			actor := e.sales1
			if i%2 == 1 {
				actor = e.sales2
			}
			c := Customer{Kind: "customer", Name: fmt.Sprintf("并发客户%03d", i), OwnerID: actor.ID}
			errs[i] = e.db.CreateCustomer(e.ctx, actor, &c, []Contact{{Name: "联系人", IsPrimary: true}})
			codes[i] = c.Code
		}()
	}
	close(start)
	wg.Wait()
	seen := map[int]string{}
	for i, code := range codes {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		serial, ok := strings.CutPrefix(code, "KH")
		if !ok || len(serial) != 5 {
			t.Fatalf("code %q does not follow the rule KH + 5 digits", code)
		}
		v, err := strconv.Atoi(serial)
		if err != nil {
			t.Fatalf("code %q: %v", code, err)
		}
		if other, dup := seen[v]; dup {
			t.Fatalf("serial %d given twice (%s and %s)", v, other, code)
		}
		seen[v] = code
	}
	for v := 1; v <= n; v++ {
		if _, ok := seen[v]; !ok {
			t.Errorf("gap: serial %d was never given", v)
		}
	}
	page, err := e.db.ListCustomers(e.ctx, e.admin, CustomerFilter{Kind: "customer", PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != n {
		t.Errorf("saved %d rows, want %d", page.Total, n)
	}
}

// A number taken by a transaction that rolls back is given again: no gap.
func TestNumberRolledBackIsReused(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("boom")
	err := e.db.WithTx(e.ctx, func(tx *sql.Tx) error {
		code, err := e.db.NextNumber(e.ctx, tx, "customer")
		if err != nil {
			return err
		}
		if code != "KH00001" {
			t.Errorf("first code %q", code)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	c := e.create(e.sales1, Customer{Name: "回滚之后"})
	if c.Code != "KH00001" {
		t.Errorf("after rollback got %q, want KH00001", c.Code)
	}
}

func TestPreviewNumberDoesNotAllocate(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 5, 20, 3, 0, 0, 0, time.UTC))
	rules, err := e.db.NumberingRules(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(DocKinds) {
		t.Fatalf("%d rules, want one per kind (%d)", len(rules), len(DocKinds))
	}
	customer := rules[0]
	for range 3 {
		got, err := e.db.PreviewNumber(e.ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		if got != "KH00001" {
			t.Fatalf("preview = %q, want KH00001", got)
		}
	}
	c := e.create(e.sales1, Customer{Name: "第一位"})
	if c.Code != "KH00001" {
		t.Fatalf("first customer got %q after previews, want KH00001", c.Code)
	}
	got, err := e.db.PreviewNumber(e.ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	if got != "KH00002" {
		t.Errorf("preview after one save = %q, want KH00002", got)
	}
	// An unsaved rule being edited previews with its own format and the
	// counter of its own period.
	edited := customer
	edited.Prefix, edited.DatePart, edited.Width, edited.Reset = "C", "YYYYMMDD", 2, "daily"
	got, err = e.db.PreviewNumber(e.ctx, edited)
	if err != nil {
		t.Fatal(err)
	}
	if got != "C2026052001" {
		t.Errorf("preview of edited rule = %q, want C2026052001", got)
	}
	if c2 := e.create(e.sales1, Customer{Name: "第二位"}); c2.Code != "KH00002" {
		t.Errorf("second customer got %q, want KH00002 (preview must not allocate)", c2.Code)
	}
}

func TestSaveNumberingRuleChangesNextCode(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC))
	e.create(e.sales1, Customer{Name: "旧规则"})
	rule := NumberingRule{Kind: "customer", Prefix: "CU", DatePart: "YYYYMM", Width: 3, Reset: "monthly"}
	if err := e.db.SaveNumberingRule(e.ctx, e.admin.ID, rule); err != nil {
		t.Fatal(err)
	}
	if c := e.create(e.sales1, Customer{Name: "新规则"}); c.Code != "CU202607001" {
		t.Errorf("code under new rule = %q, want CU202607001", c.Code)
	}
	hist, err := e.db.History(e.ctx, "numbering", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("%d audit entries for the rule change, want 1", len(hist))
	}
	fields := map[string]bool{}
	for _, ch := range hist[0].Changes {
		fields[ch.Field] = true
	}
	for _, f := range []string{"customer.prefix", "customer.date_part", "customer.width", "customer.reset"} {
		if !fields[f] {
			t.Errorf("audit lacks %s: %+v", f, hist[0].Changes)
		}
	}
}

// TestNumberingAfterRuleChange: changing a rule can restart a serial where
// numbers were already given (same day, or two kinds sharing a prefix in one
// table). A save must then skip to a free number, never fail or duplicate.
func TestNumberingAfterRuleChange(t *testing.T) {
	tests := []struct {
		name   string
		before []NumberingRule
		after  []NumberingRule
		kinds  []string // kinds saved after the change, in order
		want   []string
	}{
		{"daily reset switched to never on the same day",
			[]NumberingRule{{Kind: "customer", Prefix: "KH", DatePart: "YYYYMMDD", Width: 3, Reset: "daily"}},
			[]NumberingRule{{Kind: "customer", Prefix: "KH", DatePart: "YYYYMMDD", Width: 3, Reset: "never"}},
			[]string{"customer", "customer"}, []string{"KH20260305003", "KH20260305004"}},
		{"prospects given the customers' prefix", nil,
			[]NumberingRule{{Kind: "prospect", Prefix: "KH", DatePart: "", Width: 5, Reset: "never"}},
			[]string{"prospect", "customer"}, []string{"KH00003", "KH00004"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.setClock(time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC))
			for _, r := range tt.before {
				if err := e.db.SaveNumberingRule(e.ctx, e.admin.ID, r); err != nil {
					t.Fatal(err)
				}
			}
			e.create(e.sales1, Customer{Name: "一"})
			e.create(e.sales1, Customer{Name: "二"})
			for _, r := range tt.after {
				if err := e.db.SaveNumberingRule(e.ctx, e.admin.ID, r); err != nil {
					t.Fatal(err)
				}
			}
			for i, kind := range tt.kinds {
				c := Customer{Kind: kind, Name: fmt.Sprintf("改规则后%d", i), OwnerID: e.sales1.ID}
				if err := e.db.CreateCustomer(e.ctx, e.sales1, &c, nil); err != nil {
					t.Fatalf("save %d after the rule change: %v", i, err)
				}
				if c.Code != tt.want[i] {
					t.Errorf("save %d got %q, want %q", i, c.Code, tt.want[i])
				}
			}
		})
	}
}
