package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keyuan/models"
)

// TestWebhookAdminPages: an administrator registers a webhook through the
// form (a bad one is shown again with what was typed and the reasons),
// allows loopback addresses for the test receiver, sees the delivery in
// the log with its response code, redelivers it with the same event id,
// pauses and deletes the webhook.
func TestWebhookAdminPages(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	var hits atomic.Int32
	ids := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hits.Add(1)
		ids <- r.Header.Get("X-Keyuan-Event-Id")
	}))
	defer rcv.Close()
	c := app.login("admin")

	bad := c.post("/admin/webhooks", url.Values{"name": {"ERP 接口"}, "url": {"ftp://erp.example.cn"}, "kind": {"generic"}})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "ERP 接口") ||
		!strings.Contains(bad.Body, "请填写 http:// 或 https:// 开头的完整地址") || !strings.Contains(bad.Body, "请至少选择一个事件") {
		t.Fatalf("bad form: %d", bad.StatusCode)
	}
	res := c.post("/admin/webhooks", url.Values{"name": {"ERP 接口"}, "url": {rcv.URL}, "kind": {"generic"},
		"events": {"customer.created", "opportunity.won"}, "secret": {"k3y"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/webhooks/") {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	page := res.Header.Get("Location")
	hooks, _ := app.db.Webhooks(ctx)
	if len(hooks) != 1 || hooks[0].Secret != "k3y" || !hooks[0].Has("opportunity.won") {
		t.Fatalf("stored %+v", hooks)
	}
	// The form never shows the secret back; saving it empty keeps it.
	if body := c.get(page).Body; strings.Contains(body, "k3y") {
		t.Error("the edit form shows the secret")
	}
	if res := c.post(page, url.Values{"name": {"ERP"}, "url": {rcv.URL}, "kind": {"generic"}, "events": {"customer.created"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", res.StatusCode)
	}
	if w, _ := app.db.GetWebhook(ctx, hooks[0].ID); w.Secret != "k3y" || w.Name != "ERP" {
		t.Errorf("after update %+v", w)
	}

	// Refused while loopback is not allowed: the log says why.
	cust := &models.Customer{Kind: "customer", Name: "上海华信科技有限公司", OwnerID: 1}
	if err := app.db.CreateCustomer(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, cust, nil); err != nil {
		t.Fatal(err)
	}
	app.app.Webhooks.Deliver(ctx)
	if body := c.get(page).Body; hits.Load() != 0 || !strings.Contains(body, "refused") {
		t.Fatalf("loopback reached (%d) or not logged", hits.Load())
	}
	if res := c.post("/admin/webhooks/settings", url.Values{"allow_private": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	app.db.Write.Exec(`UPDATE webhook_deliveries SET next_attempt = '2000-01-01T00:00:00.000Z'`) // its retry is due
	if st, err := app.app.Webhooks.Deliver(ctx); err != nil || st.Sent != 1 {
		t.Fatalf("deliver %+v %v", st, err)
	}
	first := <-ids
	body := c.get(page).Body
	for _, want := range []string{"已送达", "200", first, "customer.created"} {
		if !strings.Contains(body, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	d, _ := app.db.WebhookDeliveries(ctx, hooks[0].ID, 10)
	if res := c.post(page+"/deliveries/"+strconv.FormatInt(d[0].ID, 10)+"/redeliver", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeliver: %d", res.StatusCode)
	}
	app.app.Webhooks.Deliver(ctx)
	if again := <-ids; again != first {
		t.Errorf("redelivered with id %q, want %q", again, first)
	}
	if res := c.post(page+"/deliveries/999999/redeliver", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("redeliver unknown: %d", res.StatusCode)
	}

	// A test event goes to the receiver whatever its events.
	if res := c.post(page+"/ping", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ping: %d", res.StatusCode)
	}
	app.app.Webhooks.Deliver(ctx)
	<-ids
	if body := c.get(page).Body; !strings.Contains(body, "ping") {
		t.Error("the test event is not in the log")
	}

	c.post(page+"/pause", url.Values{"paused": {"1"}})
	if body := c.get("/admin/webhooks").Body; !strings.Contains(body, "已暂停") {
		t.Error("list does not show the pause")
	}
	if res := c.post(page+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res := c.get(page); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted webhook: %d", res.StatusCode)
	}
}

// TestNoticeChannels: a user picks the channels of each notice on the
// profile page; the choice is kept and read back; a channel that does not
// exist is refused.
func TestNoticeChannels(t *testing.T) {
	app := newTestApp(t)
	uid := app.addUser("li", models.RoleService)
	c := app.login("li")
	if body := c.get("/profile").Body; !strings.Contains(body, `hx-get="/profile/notices"`) {
		t.Error("profile page does not load the notices section")
	}
	form := url.Values{"plan_reminder": {"bell", "email"}, "issue_assigned": {"chat"}}
	if res := c.post("/profile/notices", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		notice, channel string
		want            bool
	}{{"plan_reminder", "email", true}, {"plan_reminder", "chat", false}, {"issue_assigned", "chat", true},
		{"issue_assigned", "bell", false}, {"digest", "email", false}} {
		if got, _ := app.db.WantsNotice(ctx, uid, tc.notice, tc.channel); got != tc.want {
			t.Errorf("%s/%s = %v", tc.notice, tc.channel, got)
		}
	}
	body := c.get("/profile/notices", "HX-Request", "true").Body
	if !strings.Contains(body, `name="issue_assigned" value="chat" checked`) || strings.Contains(body, `name="issue_assigned" value="bell" checked`) {
		t.Errorf("fragment does not show the choice: %s", body)
	}
	for _, bad := range []url.Values{{"digest": {"pigeon"}}, {"issue_assigned": {"email"}}} {
		if res := c.post("/profile/notices", bad); res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("channel %v: %d", bad, res.StatusCode)
		}
	}
	if strings.Contains(body, `name="issue_assigned" value="email"`) || strings.Contains(body, `name="digest" value="bell"`) {
		t.Error("the page offers a channel the notice does not have")
	}
}

// TestWebhookDeliveredAfterRestart: the server was killed while a delivery
// was in flight (the row is left "sending" with a long lease). A fresh app
// on the same database file takes it over when it starts and delivers it
// with the same event id.
func TestWebhookDeliveredAfterRestart(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	ids := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		ids <- r.Header.Get("X-Keyuan-Event-Id")
	}))
	defer rcv.Close()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	if err := app.db.SetSetting(ctx, models.WebhookSettingAllowPrivate, "1"); err != nil {
		t.Fatal(err)
	}
	w := &models.Webhook{Name: "ERP", URL: rcv.URL, Kind: models.WebhookGeneric, Events: []string{"customer.created"}}
	if err := app.db.SaveWebhook(ctx, admin, w); err != nil {
		t.Fatal(err)
	}
	if err := app.db.CreateCustomer(ctx, admin, &models.Customer{Kind: "customer", Name: "杭州西湖茶业有限公司", OwnerID: 1}, nil); err != nil {
		t.Fatal(err)
	}
	inFlight, err := app.db.ClaimWebhookDeliveries(ctx, "killed-server", 10, app.db.Now().Add(24*time.Hour))
	if err != nil || len(inFlight) != 1 {
		t.Fatalf("claim %v %v", inFlight, err)
	}

	db2, err := models.Open(ctx, app.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	cfg := Config{BaseURL: "http://example.test", DataDir: t.TempDir(), SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Location: db2.Location()}
	app2, err := NewApp(ctx, db2, AppConfig{Web: cfg, Log: slog.New(slog.NewTextHandler(testLogWriter(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer app2.Close(ctx)
	if err := app2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := app2.Webhooks.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-ids:
		if id != inFlight[0].EventID {
			t.Errorf("event id %q, want %q", id, inFlight[0].EventID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not delivered after the restart")
	}
	d, _ := db2.WebhookDeliveries(ctx, w.ID, 10)
	if len(d) != 1 || d[0].Status != "delivered" {
		t.Errorf("log %+v", d)
	}
}
