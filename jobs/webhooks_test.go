package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"keyuan/models"
)

// hookRequest is one request a test receiver got.
type hookRequest struct {
	Header http.Header
	URL    *url.URL
	Body   []byte
}

// receiver is a real HTTP server in the test process that answers with the
// codes given, in turn (the last one repeats), and keeps what it got.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	codes []int
	body  string
	got   []hookRequest
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	r := &receiver{codes: codes, body: `{"errcode":0,"errmsg":"ok"}`}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookRequest{Header: req.Header.Clone(), URL: req.URL, Body: b})
		code := r.codes[min(len(r.got)-1, len(r.codes)-1)]
		r.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, r.body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

// testWebhooks is a deliverer that may reach the loopback test servers.
func testWebhooks(db *models.DB) *Webhooks {
	cfg := DefaultWebhookConfig
	cfg.BaseURL = "http://crm.example.test"
	cfg.AllowPrivate = func(context.Context) bool { return true }
	return NewWebhooks(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
}

func addWebhook(t *testing.T, db *models.DB, w models.Webhook) models.Webhook {
	t.Helper()
	if w.Name == "" {
		w.Name = "测试接收方"
	}
	if w.Kind == "" {
		w.Kind = models.WebhookGeneric
	}
	if err := db.SaveWebhook(context.Background(), admin, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func fixedClock(db *models.DB, at time.Time) func(d time.Duration) {
	now := at
	var mu sync.Mutex
	db.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	return func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

func createCustomer(t *testing.T, db *models.DB, name string) *models.Customer {
	t.Helper()
	c := &models.Customer{Kind: "customer", Name: name, OwnerID: 1}
	if err := db.CreateCustomer(context.Background(), admin, c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func deliveries(t *testing.T, db *models.DB, webhookID int64) []models.WebhookDelivery {
	t.Helper()
	d, err := db.WebhookDeliveries(context.Background(), webhookID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWebhookSignatureVerifies: a customer created in the app reaches the
// receiver as documented in the README: JSON {id, event, occurred_at, data},
// the event id header equal to the body's id, and a signature that the
// README's recipe (hex HMAC-SHA256 of timestamp "." body) verifies.
func TestWebhookSignatureVerifies(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 200)
	const secret = "s3cr3t-接收方"
	w := addWebhook(t, db, models.Webhook{URL: rcv.URL + "/hook", Events: []string{"customer.created"}, Secret: secret})
	c := createCustomer(t, db, "上海华信科技有限公司")
	if _, err := testWebhooks(db).Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	// The README's recipe, written out here independently of SignGeneric.
	ts := r.Header.Get("X-Keyuan-Timestamp")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(r.Body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if sig := r.Header.Get("X-Keyuan-Signature"); !hmac.Equal([]byte(sig), []byte(want)) {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if ts != "1796349600" {
		t.Errorf("timestamp %q: not the DB clock", ts)
	}
	var body struct {
		ID, Event, OccurredAt string `json:"-"`
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(m["id"], &body.ID)
	json.Unmarshal(m["event"], &body.Event)
	json.Unmarshal(m["occurred_at"], &body.OccurredAt)
	if body.ID == "" || r.Header.Get("X-Keyuan-Event-Id") != body.ID || body.Event != "customer.created" ||
		r.Header.Get("X-Keyuan-Event") != "customer.created" || body.OccurredAt != "2026-12-04T02:00:00Z" {
		t.Errorf("headers %v body %s", r.Header, r.Body)
	}
	var data struct {
		Type  string `json:"type"`
		ID    int64  `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(m["data"], &data); err != nil || data.Type != "customer" || data.ID != c.ID || data.Title != c.Name {
		t.Errorf("data %s (%v)", m["data"], err)
	}
	// A change the webhook did not ask for is not sent.
	c.Phone = "021-12345678"
	if err := db.UpdateCustomer(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	if n := len(deliveries(t, db, w.ID)); n != 1 {
		t.Errorf("%d deliveries after an update nobody subscribed to", n)
	}
}

// TestWebhookRetriedOnceDelivered: the receiver answers 500, then 200. The
// second attempt waits the backoff on the DB clock, carries the same event
// id, and after it the delivery is done: nothing more is sent.
func TestWebhookRetriedOnceDelivered(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	advance := fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 500, 200)
	w := addWebhook(t, db, models.Webhook{URL: rcv.URL, Events: []string{"customer.created"}})
	createCustomer(t, db, "北京远景贸易有限公司")
	wh := testWebhooks(db)
	st, err := wh.Deliver(ctx)
	if err != nil || st.Retry != 1 || len(rcv.requests()) != 1 {
		t.Fatalf("first round %+v %v, %d requests", st, err, len(rcv.requests()))
	}
	// Not due before the wait is over.
	advance(30 * time.Second)
	if st, _ := wh.Deliver(ctx); st.Sent+st.Retry != 0 {
		t.Fatalf("retried before its time: %+v", st)
	}
	advance(31 * time.Second)
	if st, err := wh.Deliver(ctx); err != nil || st.Sent != 1 {
		t.Fatalf("second round %+v %v", st, err)
	}
	advance(time.Hour)
	wh.Deliver(ctx)
	got := rcv.requests()
	if len(got) != 2 || got[0].Header.Get(HeaderEventID) != got[1].Header.Get(HeaderEventID) || got[0].Header.Get(HeaderEventID) == "" {
		t.Fatalf("%d requests, ids %q %q", len(got), got[0].Header.Get(HeaderEventID), got[len(got)-1].Header.Get(HeaderEventID))
	}
	d := deliveries(t, db, w.ID)
	if len(d) != 1 || d[0].Status != "delivered" || d[0].Attempts != 2 || d[0].ResponseCode != 200 {
		t.Errorf("log %+v", d)
	}
}

// TestWebhookDownPausesAndTells: a receiver that is down for the whole
// retry window gives the delivery up, pauses the webhook with the reason,
// and tells the administrators under the bell; a new event waits while it
// is paused and goes out when an admin resumes it.
func TestWebhookDownPausesAndTells(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	advance := fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 200)
	down := rcv.URL
	rcv.Close() // nothing listens there now: connection refused
	w := addWebhook(t, db, models.Webhook{URL: down, Events: []string{"customer.created"}})
	createCustomer(t, db, "广州天河电子有限公司")
	wh := testWebhooks(db)
	for range DefaultWebhookConfig.Retry.MaxAttempts + 2 {
		if _, err := wh.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		advance(DefaultWebhookConfig.Retry.Max)
	}
	got, err := db.GetWebhook(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Paused || got.PauseReason == "" {
		t.Fatalf("webhook not paused: %+v", got)
	}
	d := deliveries(t, db, w.ID)
	if len(d) != 1 || d[0].Status != "failed" || d[0].Attempts != DefaultWebhookConfig.Retry.MaxAttempts || d[0].LastError == "" {
		t.Errorf("log %+v", d)
	}
	notes, err := db.Notifications(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0].Kind != "webhook_paused" || !strings.Contains(notes[0].Link, "/admin/webhooks/") {
		t.Errorf("admin notifications %+v", notes)
	}
	// Paused: the next event is queued but waits.
	rcv2 := newReceiver(t, 200)
	w.URL = rcv2.URL
	if err := db.SaveWebhook(ctx, admin, &w); err != nil {
		t.Fatal(err)
	}
	createCustomer(t, db, "深圳南山软件有限公司")
	wh.Deliver(ctx)
	if n := len(rcv2.requests()); n != 0 {
		t.Fatalf("a paused webhook got %d requests", n)
	}
	if err := db.SetWebhookPaused(ctx, admin, w.ID, false); err != nil {
		t.Fatal(err)
	}
	// Redeliver the given-up one too: the same event id again.
	if err := db.Redeliver(ctx, admin, w.ID, d[0].ID); err != nil {
		t.Fatal(err)
	}
	if st, err := wh.Deliver(ctx); err != nil || st.Sent != 2 {
		t.Fatalf("after resume %+v %v", st, err)
	}
	ids := map[string]bool{}
	for _, r := range rcv2.requests() {
		ids[r.Header.Get(HeaderEventID)] = true
	}
	if !ids[d[0].EventID] {
		t.Errorf("redelivery did not carry event id %s: %v", d[0].EventID, ids)
	}
}

// TestWebhookKilledDuringDelivery: a server killed while a request was in
// flight leaves the delivery "sending" with its lease. A fresh process on
// the same database file takes it over at start-up and delivers it, with
// the same event id, without waiting for the lease to run out.
func TestWebhookKilledDuringDelivery(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 200)
	w := addWebhook(t, db, models.Webhook{URL: rcv.URL, Events: []string{"customer.created"}})
	createCustomer(t, db, "杭州西湖茶业有限公司")
	// The dead process: it claimed the row, and never finished.
	claimed, err := db.ClaimWebhookDeliveries(ctx, "dead-process", 10, db.Now().Add(time.Hour))
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim %v %v", claimed, err)
	}
	db.Close()

	fresh, err := models.Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	fixedClock(fresh, time.Date(2026, 12, 4, 2, 0, 5, 0, time.UTC))
	wh := testWebhooks(fresh)
	if err := wh.TakeOverLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := wh.Deliver(ctx); err != nil || st.Sent != 1 {
		t.Fatalf("after restart %+v %v", st, err)
	}
	got := rcv.requests()
	if len(got) != 1 || got[0].Header.Get(HeaderEventID) != claimed[0].EventID {
		t.Fatalf("requests %d, id %q want %q", len(got), got[0].Header.Get(HeaderEventID), claimed[0].EventID)
	}
	d := deliveries(t, fresh, w.ID)
	if d[0].Status != "delivered" {
		t.Errorf("log %+v", d)
	}
}

// TestWebhookRefusesPrivateAddresses: by default a webhook may not reach
// loopback, private or link-local addresses; the check is on the address
// dialled, so a name resolving to 127.0.0.1 is refused as well. A redirect
// to another host is not followed.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 200)
	port := rcv.URL[strings.LastIndex(rcv.URL, ":"):]
	w1 := addWebhook(t, db, models.Webhook{Name: "ip", URL: rcv.URL, Events: []string{"customer.created"}})
	w2 := addWebhook(t, db, models.Webhook{Name: "name", URL: "http://localhost" + port, Events: []string{"customer.created"}})
	createCustomer(t, db, "成都锦江食品有限公司")
	cfg := DefaultWebhookConfig
	wh := NewWebhooks(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg) // the setting: refused
	if _, err := wh.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
	for _, w := range []models.Webhook{w1, w2} {
		d := deliveries(t, db, w.ID)
		if len(d) != 1 || !strings.Contains(d[0].LastError, "refused") || d[0].Status != "queued" {
			t.Errorf("%s: %+v", w.Name, d)
		}
	}
	for _, ip := range []string{"10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0", "100.64.0.1"} {
		if !refusedIP(parseIP(t, ip)) {
			t.Errorf("%s allowed", ip)
		}
	}
	for _, ip := range []string{"8.8.8.8", "114.114.114.114", "2400:3200::1"} {
		if refusedIP(parseIP(t, ip)) {
			t.Errorf("%s refused", ip)
		}
	}

	// The admin setting allows them.
	if err := db.SetSetting(ctx, models.WebhookSettingAllowPrivate, "1"); err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC) })
	if st, err := wh.Deliver(ctx); err != nil || st.Sent != 2 {
		t.Fatalf("allowed: %+v %v", st, err)
	}

	// A redirect to another host is refused; the same host is followed.
	other := newReceiver(t, 200)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	w3 := addWebhook(t, db, models.Webhook{Name: "redirect", URL: redir.URL, Events: []string{"customer.created"}})
	createCustomer(t, db, "重庆渝中机械有限公司")
	wh.Deliver(ctx)
	d := deliveries(t, db, w3.ID)
	if len(other.requests()) != 0 || !strings.Contains(d[0].LastError, "redirect to another host") {
		t.Errorf("redirect followed: %d requests, %+v", len(other.requests()), d)
	}
}

func parseIP(t *testing.T, s string) net.IP {
	t.Helper()
	ip := net.ParseIP(s)
	if ip == nil {
		t.Fatalf("bad ip %s", s)
	}
	return ip
}

// TestChatRobotPayloads: each chat kind's request is its platform's
// documented format, the expected JSON written from their documentation:
//   - 企业微信群机器人: {"msgtype":"markdown","markdown":{"content":…}}
//   - 钉钉自定义机器人: {"msgtype":"markdown","markdown":{"title":…,"text":…}},
//     加签 as &timestamp=<ms>&sign=urlencode(base64(HmacSHA256(secret, ts+"\n"+secret)))
//   - 飞书自定义机器人: {"timestamp":"<s>","sign":base64(HmacSHA256(key=ts+"\n"+secret, "")),
//     "msg_type":"text","content":{"text":…}}
func TestChatRobotPayloads(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	fixedClock(db, at)
	wecom, ding, feishu := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200)
	feishu.body = `{"code":0,"msg":"success","data":{}}`
	events := []string{"issue.assigned"}
	addWebhook(t, db, models.Webhook{Kind: models.WebhookWeCom, URL: wecom.URL + "/cgi-bin/webhook/send?key=K1", Events: events})
	addWebhook(t, db, models.Webhook{Kind: models.WebhookDingTalk, URL: ding.URL + "/robot/send?access_token=T1", Events: events,
		Secret: "SECdingsecret"})
	addWebhook(t, db, models.Webhook{Kind: models.WebhookFeishu, URL: feishu.URL + "/open-apis/bot/v2/hook/H1", Events: events,
		Secret: "feishusecret"})

	uid, err := db.CreateUser(ctx, 0, models.NewUser{Username: "li", DisplayName: "李娜", Email: "li@example.com",
		Role: models.RoleService, Password: "password123"})
	if err != nil {
		t.Fatal(err)
	}
	c := createCustomer(t, db, "上海华信科技有限公司")
	is := &models.Issue{CustomerID: c.ID, Channel: "phone", Priority: "high", Subject: "打印机无法连接", AssigneeID: uid,
		ReportedAt: "2026-12-04T01:00:00Z", Status: "new"}
	if err := db.CreateIssue(ctx, admin, is); err != nil {
		t.Fatal(err)
	}
	if st, err := testWebhooks(db).Deliver(ctx); err != nil || st.Sent != 3 {
		t.Fatalf("%+v %v", st, err)
	}
	// The assignee's bell has it too; an admin assigning to themself gets none.
	if notes, _ := db.Notifications(ctx, uid, 10); len(notes) != 1 || notes[0].Kind != "issue_assigned" ||
		!strings.Contains(notes[0].Message, "打印机无法连接") {
		t.Errorf("assignee's bell: %+v", notes)
	}
	link := "[在客缘中打开](http://crm.example.test/issues/" + itoa(is.ID) + ")"
	text := "工单 " + is.Code + "「打印机无法连接」已指派给 李娜\n" + link

	assertJSON(t, "wecom", wecom.requests()[0].Body, `{"msgtype":"markdown","markdown":{"content":"**工单指派**\n`+jsonEsc(text)+`"}}`)

	r := ding.requests()[0]
	assertJSON(t, "dingtalk", r.Body, `{"msgtype":"markdown","markdown":{"title":"工单指派","text":"#### 工单指派\n`+jsonEsc(text)+`"}}`)
	q := r.URL.Query()
	ms := "1796349600000"
	mac := hmac.New(sha256.New, []byte("SECdingsecret"))
	mac.Write([]byte(ms + "\nSECdingsecret"))
	if q.Get("access_token") != "T1" || q.Get("timestamp") != ms || q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("dingtalk query %v", q)
	}

	mac = hmac.New(sha256.New, []byte("1796349600\nfeishusecret"))
	assertJSON(t, "feishu", feishu.requests()[0].Body, `{"timestamp":"1796349600","sign":"`+base64.StdEncoding.EncodeToString(mac.Sum(nil))+
		`","msg_type":"text","content":{"text":"工单指派\n`+jsonEsc(text)+`"}}`)

	// A refusal in a 200 answer (errcode) is a failure, retried.
	wecom.body = `{"errcode":93000,"errmsg":"invalid webhook url"}`
	is.Subject = "打印机仍无法连接"
	is.AssigneeID = 1
	if err := db.UpdateIssue(ctx, admin, is); err != nil {
		t.Fatal(err)
	}
	if st, _ := testWebhooks(db).Deliver(ctx); st.Retry != 1 || st.Sent != 2 {
		t.Errorf("errcode answer: %+v", st)
	}
	if notes, _ := db.Notifications(ctx, 1, 10); len(notes) != 0 {
		t.Errorf("assigning to oneself rang one's own bell: %+v", notes)
	}

	// A user who wants issue notices only under the bell gets no chat message.
	if err := db.SaveNoticePrefs(ctx, uid, map[string][]string{"issue_assigned": {"bell"}}); err != nil {
		t.Fatal(err)
	}
	is.AssigneeID = uid
	if err := db.UpdateIssue(ctx, admin, is); err != nil {
		t.Fatal(err)
	}
	before := len(feishu.requests())
	testWebhooks(db).Deliver(ctx)
	if len(feishu.requests()) != before {
		t.Errorf("chat notice sent against the user's choice")
	}
}

func assertJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: expected JSON: %v", what, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s payload\n got %s\nwant %s", what, gb, wb)
	}
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestChatNotices: plan reminders and overdue issues reach a chat robot
// as short Chinese messages with a link into the app, once each; the
// overdue notice is also under the assignee's bell.
func TestChatNotices(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	advance := fixedClock(db, time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC))
	rcv := newReceiver(t, 200)
	addWebhook(t, db, models.Webhook{Kind: models.WebhookWeCom, URL: rcv.URL, Events: []string{"plan.due", "issue.overdue"}})
	c := createCustomer(t, db, "上海华信科技有限公司")
	p := &models.Plan{Date: "2026-12-04", Time: "10:00", CustomerID: c.ID, Subject: "回访报价", RemindMinutes: 15, OwnerID: 1}
	if err := db.SavePlan(ctx, admin, p); err != nil {
		t.Fatal(err)
	}
	is := &models.Issue{CustomerID: c.ID, Channel: "phone", Priority: "high", Subject: "打印机无法连接", AssigneeID: 1,
		ReportedAt: "2026-12-04T01:00:00Z", Status: "new"}
	if err := db.CreateIssue(ctx, admin, is); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.NotifyPlan(ctx, p.ID); err != nil || !ok {
		t.Fatalf("notify %v %v", ok, err)
	}
	advance(30 * 24 * time.Hour) // long past any response time
	for i, want := range []int{1, 0} {
		if n, err := db.NoticeOverdueIssues(ctx, 100); err != nil || n != want {
			t.Fatalf("round %d: told %d (%v), want %d", i, n, err, want)
		}
	}
	if st, err := testWebhooks(db).Deliver(ctx); err != nil || st.Sent != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	var texts []string
	for _, r := range rcv.requests() {
		var m struct {
			Markdown struct{ Content string } `json:"markdown"`
		}
		json.Unmarshal(r.Body, &m)
		texts = append(texts, m.Markdown.Content)
	}
	all := strings.Join(texts, "\n---\n")
	for _, want := range []string{"**计划提醒**", "2026-12-04 10:00 回访报价（上海华信科技有限公司）", "/plans/",
		"**工单逾期**", "「打印机无法连接」已超过期限", "/issues/" + itoa(is.ID)} {
		if !strings.Contains(all, want) {
			t.Errorf("chat messages lack %q:\n%s", want, all)
		}
	}
	notes, _ := db.Notifications(ctx, 1, 10)
	found := false
	for _, n := range notes {
		found = found || (n.Kind == "issue_overdue" && strings.Contains(n.Message, "打印机无法连接"))
	}
	if !found {
		t.Errorf("no overdue notice under the bell: %+v", notes)
	}
}

// TestErasureReachesWebhookEvents: erasing a customer (PIPL) replaces its
// name and its contacts' in the queued and logged webhook events too.
func TestErasureReachesWebhookEvents(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	fixedClock(db, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	w := addWebhook(t, db, models.Webhook{URL: "http://erp.example.cn/hook", Events: []string{"customer.created", "contact.created"}})
	c := &models.Customer{Kind: "customer", Name: "王小明个人工作室", OwnerID: 1}
	if err := db.CreateCustomer(ctx, admin, c, []models.Contact{{Name: "王小明", Mobile: "13912345678", IsPrimary: true}}); err != nil {
		t.Fatal(err)
	}
	if ds := deliveries(t, db, w.ID); len(ds) != 1 || !strings.Contains(ds[0].Data, "王小明") {
		t.Fatalf("before: %+v", ds)
	}
	if _, err := db.ErasePerson(ctx, admin, "customer", c.ID); err != nil {
		t.Fatal(err)
	}
	ds := deliveries(t, db, w.ID)
	for _, d := range ds {
		if strings.Contains(d.Data, "王小明") || strings.Contains(d.Data, "13912345678") {
			t.Errorf("%s still holds the person: %s", d.Event, d.Data)
		}
	}
}
