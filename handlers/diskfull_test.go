package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestDiskFullSaysSo: a write that fails because the disk is full answers
// 507 with a clear message, not a generic 500, and the customers saved
// before are still there. SQLite's max_page_count makes the database "full"
// exactly as a full disk does (SQLITE_FULL).
func TestDiskFullSaysSo(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	before := countCustomers(t, app.db)
	var pages int
	if err := app.db.Write.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.Write.Exec(`PRAGMA max_page_count = ` + strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"name": {"磁盘满时新建的客户" + strings.Repeat("长", 150)}, "notes": {strings.Repeat("备注", 2000)},
		"status": {"active"}, "owner_id": {"1"}}
	res := c.post("/customers", form)
	if res.StatusCode != 507 || !strings.Contains(res.Body, "磁盘已满") {
		t.Fatalf("status %d, want 507 with 磁盘已满", res.StatusCode)
	}
	if _, err := app.db.Write.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if after := countCustomers(t, app.db); after != before {
		t.Errorf("customers %d → %d", before, after)
	}
}
