package handlers

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"keyuan/models"
)

// TestHeadAnswersLikeGet: HEAD gets the GET's status and headers and no
// body (it was a 404 on every page, the feed and /healthz).
func TestHeadAnswersLikeGet(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for _, p := range []string{"/healthz", "/login", "/", "/customers", "/ical/not-a-token.ics"} {
		req, _ := http.NewRequest(http.MethodHead, app.ts.URL+p, nil)
		head, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		get := c.get(p)
		if head.StatusCode != get.StatusCode || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; GET: %d", p, head.StatusCode, len(body), get.StatusCode)
		}
	}
}

// TestCalendarLinksOpenTheRecords: an activity record on the calendar
// linked to /activitys/ID (a 404); ?who=all was a 404 too.
func TestCalendarLinksOpenTheRecords(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	zhang := models.Actor{ID: app.addUser("zhang", models.RoleSales), Role: models.RoleSales}
	cu := &models.Customer{Kind: "customer", Name: "日历客户"}
	if err := app.db.CreateCustomer(ctx, zhang, cu, nil); err != nil {
		t.Fatal(err)
	}
	today := app.srv.today().Format("2006-01-02")
	act := &models.Activity{Date: today, CustomerID: cu.ID, Subject: "拜访日历客户"}
	if err := app.db.SaveActivity(ctx, zhang, act); err != nil {
		t.Fatal(err)
	}
	c := app.login("zhang")
	for _, view := range []string{"day", "week", "month"} {
		res := c.get("/calendar?view=" + view + "&date=" + today)
		if strings.Contains(res.Body, "/activitys/") || !strings.Contains(res.Body, `href="/activities/`) {
			t.Errorf("%s view: the record's link is wrong", view)
		}
	}
	if res := c.get("/activities/" + id(act.ID)); res.StatusCode != http.StatusOK {
		t.Errorf("the linked record: %d", res.StatusCode)
	}
	if res := app.login("admin").get("/calendar?who=all"); res.StatusCode != http.StatusOK {
		t.Errorf("/calendar?who=all: %d", res.StatusCode)
	}
}

// TestNumberingPreviewKeepsItsTarget: the preview request must swap inside
// the preview element (the form's outerHTML swap, inherited, replaced the
// element that carries the id, so the second preview had no target).
func TestNumberingPreviewKeepsItsTarget(t *testing.T) {
	app := newTestApp(t)
	res := app.login("admin").get("/settings/numbering")
	i := strings.Index(res.Body, `hx-get="/settings/numbering/customer/preview"`)
	if i < 0 {
		t.Fatal("no preview trigger")
	}
	tag := res.Body[i : i+strings.Index(res.Body[i:], ">")]
	if !strings.Contains(tag, `hx-swap="innerHTML"`) {
		t.Errorf("the preview trigger inherits the form's swap: %s", tag)
	}
}
