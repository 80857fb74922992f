package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// TestPersonalTaskThroughTheScreens: a plan saved without a customer (a
// personal task) is shown as one on its card, the start page and the
// calendar, is done with one button, and is its owner's alone; a name typed
// into the picker without choosing it, or a contact without a customer, is
// refused with the form shown again.
func TestPersonalTaskThroughTheScreens(t *testing.T) {
	w := newActWorld(t)
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, w.db.Location())
	w.db.SetClock(func() time.Time { return now })
	c := w.login("zhang")
	before := w.count("plans")
	for name, f := range map[string]url.Values{
		"typed, not chosen": {"date": {"2026-03-04"}, "customer_label": {"上海华信"}, "subject": {"准备季度报告"}},
		"contact only":      {"date": {"2026-03-04"}, "contact": {id(w.contact)}, "subject": {"准备季度报告"}},
	} {
		res := c.post("/plans", f)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "准备季度报告") {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
		if name == "typed, not chosen" && !strings.Contains(res.Body, "请从列表中选择客户") {
			t.Errorf("%s: the message is missing", name)
		}
	}
	if w.count("plans") != before {
		t.Fatal("a refused form saved a plan")
	}
	form := c.get("/plans/new")
	if !strings.Contains(form.Body, "留空即为个人待办") {
		t.Error("the form does not say the customer may be left empty")
	}
	res := c.post("/plans", url.Values{"date": {"2026-03-04"}, "time": {"16:00"}, "subject": {"准备季度报告"}, "remind": {"30"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	card := res.Header.Get("Location")
	page := c.get(card)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "个人待办") || !strings.Contains(page.Body, `action="`+card+`/done"`) {
		t.Errorf("the card: %d", page.StatusCode)
	}
	if home := c.get("/"); !strings.Contains(home.Body, "准备季度报告") || !strings.Contains(home.Body, `action="`+card+`/done"`) {
		t.Error("the start page does not list the task with its button")
	}
	if cal := c.get("/calendar?view=week&date=2026-03-04"); !strings.Contains(cal.Body, "准备季度报告") ||
		!strings.Contains(cal.Body, `<span class="who">个人待办</span>`) {
		t.Error("the calendar does not show the task as one")
	}
	taskID, _ := strconv.ParseInt(strings.TrimPrefix(card, "/plans/"), 10, 64)
	if ok, err := w.db.NotifyPlan(t.Context(), taskID); err != nil || !ok {
		t.Fatalf("reminder: %v %v", ok, err)
	}
	if bell := c.get("/notifications"); !strings.Contains(bell.Body, "准备季度报告") || !strings.Contains(bell.Body, "个人待办") {
		t.Error("the bell does not list the task as one")
	}
	if rec := c.get("/activities/new?plan=" + strings.TrimPrefix(card, "/plans/")); rec.StatusCode != http.StatusOK {
		t.Errorf("recording an activity from the task: %d", rec.StatusCode)
	}
	if feed := c.get("/plans/export.csv"); feed.StatusCode != http.StatusOK || !strings.Contains(feed.Body, "准备季度报告") {
		t.Errorf("the export: %d", feed.StatusCode)
	}
	if other := w.login("li").get(card); other.StatusCode != http.StatusNotFound {
		t.Errorf("a colleague opens the task: %d", other.StatusCode)
	}
	if mgr := w.login("zhuguan").get(card); mgr.StatusCode != http.StatusOK {
		t.Errorf("the manager: %d", mgr.StatusCode)
	}
	if res := c.post(card+"/done", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("done: %d", res.StatusCode)
	}
	if page := c.get(card); !strings.Contains(page.Body, "待办已完成") || strings.Contains(page.Body, `action="`+card+`/done"`) {
		t.Error("after done: no notice, or the button is still there")
	}
}

// TestAPIPersonalTask: the API creates a plan without a customer (a
// personal task) and returns it as the OpenAPI document describes.
func TestAPIPersonalTask(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	res := api.do("POST", "/api/v1/plans", `{"date":"2026-12-20","subject":"准备季度报告"}`)
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.Body, `"customer_id":0`) || !strings.Contains(res.Body, `"customer_kind":""`) {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
}
