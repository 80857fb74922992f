package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"keyuan/models"
	"keyuan/views"
)

// WebhookConfig tunes webhook delivery.
type WebhookConfig struct {
	BatchSize  int
	Lease      time.Duration // how long a claimed delivery is ours; longer than Timeout
	Timeout    time.Duration // one request, connection to last byte
	MaxBody    int64         // bytes of a response read at most
	Retry      models.RetryPolicy
	PauseAfter int    // failed attempts in a row that pause a webhook
	BaseURL    string // links into the app in chat messages
	// AllowPrivate, when it returns true, lets requests reach private,
	// loopback and link-local addresses (the admin setting; tests).
	AllowPrivate func(ctx context.Context) bool
}

// DefaultWebhookConfig retries for about four hours (1, 2, 4 … 60 minutes)
// before a delivery is given up, and pauses a receiver that failed that long.
var DefaultWebhookConfig = WebhookConfig{
	BatchSize: 50, Lease: time.Minute, Timeout: 10 * time.Second, MaxBody: 64 << 10,
	Retry:      models.RetryPolicy{MaxAttempts: 8, Base: time.Minute, Max: time.Hour},
	PauseAfter: 8,
}

// Webhook headers of generic deliveries; the README documents them.
const (
	HeaderEvent     = "X-Keyuan-Event"
	HeaderEventID   = "X-Keyuan-Event-Id"
	HeaderTimestamp = "X-Keyuan-Timestamp"
	HeaderSignature = "X-Keyuan-Signature"
)

// DeliverWebhooksJob delivers queued webhook events.
const DeliverWebhooksJob = "deliver_webhooks"

// Webhooks delivers queued events: claim with a lease, POST each, record
// the outcome at once (at least once: a deliverer killed mid-request
// leaves the row "sending", and the next start or the lease's end sends it
// again with the same event id).
type Webhooks struct {
	db    *models.DB
	log   *slog.Logger
	owner string
	cfg   WebhookConfig
}

// NewWebhooks builds the deliverer. A nil cfg.AllowPrivate reads the admin
// setting.
func NewWebhooks(db *models.DB, log *slog.Logger, cfg WebhookConfig) *Webhooks {
	if cfg.AllowPrivate == nil {
		cfg.AllowPrivate = func(ctx context.Context) bool {
			v, err := db.Setting(ctx, models.WebhookSettingAllowPrivate)
			return err == nil && v == "1"
		}
	}
	return &Webhooks{db: db, log: log, owner: "keyuan-" + models.RandomToken(6), cfg: cfg}
}

// TakeOverLeases requeues what a killed previous process left in flight.
func (w *Webhooks) TakeOverLeases(ctx context.Context) error {
	n, err := w.db.TakeOverWebhookLeases(ctx)
	if n > 0 {
		w.log.Info("webhooks: took over deliveries a previous run left in flight", "deliveries", n)
	}
	return err
}

// Jobs are the scheduled delivery, and the overdue-issue notices (bell and
// chat) that feed it.
func (w *Webhooks) Jobs() []Job {
	return []Job{
		{Name: DeliverWebhooksJob, Schedule: "@every 15s", Enabled: true, Run: func(ctx context.Context) (string, error) {
			st, err := w.Deliver(ctx)
			return fmt.Sprintf("delivered %d, retrying %d, failed %d", st.Sent, st.Retry, st.Failed), err
		}},
		{Name: "issue_overdue_notices", Schedule: "@every 5m", Enabled: true, Run: func(ctx context.Context) (string, error) {
			n, err := w.db.NoticeOverdueIssues(ctx, 500)
			return fmt.Sprintf("told %d", n), err
		}},
	}
}

// Deliver sends every due delivery. A cancelled ctx stops it between
// requests; what is claimed and unsent is taken back when its lease ends.
func (w *Webhooks) Deliver(ctx context.Context) (DeliveryStats, error) {
	var st DeliveryStats
	record := context.WithoutCancel(ctx)
	client := w.client(w.cfg.AllowPrivate(ctx))
	defer client.CloseIdleConnections()
	for ctx.Err() == nil {
		rows, err := w.db.ClaimWebhookDeliveries(ctx, w.owner, w.cfg.BatchSize, w.db.Now().Add(w.cfg.Lease))
		if err != nil || len(rows) == 0 {
			return st, err
		}
		for _, d := range rows {
			code, err := w.send(ctx, client, d)
			if errors.Is(err, context.Canceled) {
				// Shutdown: the rest keep their lease, which the next start takes over.
				return st, err
			}
			res := models.WebhookResult{ID: d.ID, WebhookID: d.WebhookID, Attempts: d.Attempts, Code: code}
			if err != nil {
				res.Err = err.Error()
			}
			paused, ferr := w.db.FinishWebhookDelivery(record, w.owner, res, w.cfg.Retry, w.cfg.PauseAfter)
			if ferr != nil {
				return st, ferr
			}
			switch {
			case err == nil:
				st.Sent++
			case d.Attempts < w.cfg.Retry.MaxAttempts:
				st.Retry++
			default:
				st.Failed++
			}
			if paused {
				w.log.Warn("webhook paused after repeated failures", "webhook", d.WebhookID, "err", err)
			}
		}
		if len(rows) < w.cfg.BatchSize {
			return st, nil // the queue is drained; what failed waits for its next attempt
		}
	}
	return st, ctx.Err()
}

// send makes one request and judges the answer: a 2xx, and for chat robots
// an errcode/code of 0 in the body (they answer 200 to a refused message).
func (w *Webhooks) send(ctx context.Context, client *http.Client, d models.DueWebhookDelivery) (int, error) {
	req, err := BuildWebhookRequest(ctx, d, w.db.Now(), w.cfg.BaseURL)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, w.cfg.MaxBody))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(body))
	}
	if d.Hook.IsChat() {
		var ans struct {
			ErrCode *int   `json:"errcode"` // WeCom, DingTalk
			ErrMsg  string `json:"errmsg"`
			Code    *int   `json:"code"` // Feishu
			Msg     string `json:"msg"`
		}
		if json.Unmarshal(body, &ans) == nil {
			if ans.ErrCode != nil && *ans.ErrCode != 0 {
				return resp.StatusCode, fmt.Errorf("errcode %d: %s", *ans.ErrCode, ans.ErrMsg)
			}
			if ans.Code != nil && *ans.Code != 0 {
				return resp.StatusCode, fmt.Errorf("code %d: %s", *ans.Code, ans.Msg)
			}
		}
	}
	return resp.StatusCode, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// ErrAddressRefused is a request to a private, loopback or link-local
// address while the setting refuses them.
var ErrAddressRefused = errors.New("webhook address refused: private, loopback or link-local")

// client builds an HTTP client that checks every address it connects to
// after DNS resolution (Dialer.Control sees the IP actually dialled, so a
// name that resolves to a public address for a check and to 127.0.0.1 for
// the request is still refused), uses no proxy from the environment (a
// proxy would dial for us), times out, and follows redirects only on the
// same host.
func (w *Webhooks) client(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: w.cfg.Timeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || refusedIP(ip) {
			return fmt.Errorf("%w: %s", ErrAddressRefused, host)
		}
		return nil
	}}
	return &http.Client{
		Timeout: w.cfg.Timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: w.cfg.Timeout,
			ResponseHeaderTimeout: w.cfg.Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("redirect to another host refused: %s", req.URL.Host)
			}
			return nil
		},
	}
}

// refusedIP is an address a webhook may not reach by default.
func refusedIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		// 100.64.0.0/10 (carrier-grade NAT) is private in practice.
		(ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64)
}

// SignGeneric is the signature of a generic delivery: hex HMAC-SHA256 with
// the webhook's secret over the timestamp (Unix seconds), ".", and the
// raw body. The header carries it as "sha256=<hex>".
func SignGeneric(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignDingTalk is DingTalk's 加签: base64 HMAC-SHA256, keyed with the
// secret, over timestamp (milliseconds) + "\n" + secret.
func SignDingTalk(secret, timestampMs string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestampMs + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignFeishu is Feishu's 签名校验: base64 HMAC-SHA256 keyed with
// timestamp (seconds) + "\n" + secret over an empty message.
func SignFeishu(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// BuildWebhookRequest makes the request of one delivery at time now.
func BuildWebhookRequest(ctx context.Context, d models.DueWebhookDelivery, now time.Time, baseURL string) (*http.Request, error) {
	target := d.Hook.URL
	var body []byte
	var err error
	switch d.Hook.Kind {
	case models.WebhookGeneric:
		body, err = json.Marshal(struct {
			ID         string          `json:"id"`
			Event      string          `json:"event"`
			OccurredAt string          `json:"occurred_at"`
			Data       json.RawMessage `json:"data"`
		}{d.EventID, d.Event, d.OccurredAt, json.RawMessage(d.Data)})
	default:
		title, text := ChatMessage(d.Event, d.Data, baseURL)
		body, target, err = chatBody(d.Hook, title, text, now)
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Keyuan-Webhooks/1")
	if d.Hook.Kind == models.WebhookGeneric {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(HeaderEvent, d.Event)
		req.Header.Set(HeaderEventID, d.EventID)
		req.Header.Set(HeaderTimestamp, ts)
		if d.Hook.Secret != "" {
			req.Header.Set(HeaderSignature, "sha256="+SignGeneric(d.Hook.Secret, ts, body))
		}
	}
	return req, nil
}

// chatBody is a chat robot's message in its platform's format, and the
// URL to post it to (DingTalk signs in the query).
func chatBody(h models.Webhook, title, text string, now time.Time) ([]byte, string, error) {
	switch h.Kind {
	case models.WebhookWeCom:
		// 企业微信群机器人: markdown message.
		b, err := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": "**" + title + "**\n" + text}})
		return b, h.URL, err
	case models.WebhookDingTalk:
		// 钉钉自定义机器人: markdown message; 加签 adds timestamp and sign to the URL.
		target := h.URL
		if h.Secret != "" {
			ms := strconv.FormatInt(now.UnixMilli(), 10)
			u, err := url.Parse(h.URL)
			if err != nil {
				return nil, "", err
			}
			q := u.Query()
			q.Set("timestamp", ms)
			q.Set("sign", SignDingTalk(h.Secret, ms))
			u.RawQuery = q.Encode()
			target = u.String()
		}
		b, err := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title,
			"text": "#### " + title + "\n" + text}})
		return b, target, err
	case models.WebhookFeishu:
		// 飞书自定义机器人: text message; 签名校验 puts timestamp and sign in the body.
		msg := map[string]any{"msg_type": "text", "content": map[string]string{"text": title + "\n" + text}}
		if h.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			msg["timestamp"], msg["sign"] = ts, SignFeishu(h.Secret, ts)
		}
		b, err := json.Marshal(msg)
		return b, h.URL, err
	}
	return nil, "", fmt.Errorf("unknown webhook kind %q", h.Kind)
}

// chatTitles are the Chinese headings of chat messages (chat robots post
// into one group, not to one user, so they do not follow a user's language).
var chatTitles = map[string]string{
	"plan.due": "计划提醒", "issue.assigned": "工单指派", "issue.overdue": "工单逾期", "issue.resolved": "工单已解决",
	"issue.created": "新工单", "opportunity.won": "商机赢单", "opportunity.lost": "商机丢单", "digest.sent": "团队日报摘要",
	"campaign.finished": "市场活动结束", "import.finished": "导入完成", "ping": "测试消息",
}

// linkable are the record types whose events carry a screen to link to.
var linkable = map[string]bool{"customer": true, "prospect": true, "opportunity": true, "issue": true, "plan": true,
	"campaign": true, "import": true}

// ChatMessage is the short Chinese title and text of an event for a chat
// robot, with a link into the app.
func ChatMessage(event, data, baseURL string) (title, text string) {
	var d struct {
		Type     string `json:"type"`
		ID       int64  `json:"id"`
		Code     string `json:"code"`
		Title    string `json:"title"`
		Date     string `json:"date"`
		Time     string `json:"time"`
		Customer string `json:"customer"`
		Owner    string `json:"owner"`
		Assignee string `json:"assignee"`
		DueAt    string `json:"due_at"`
		Summary  string `json:"summary"`
		Link     string `json:"link"`
	}
	_ = json.Unmarshal([]byte(data), &d) // a field that does not parse is left out of the text
	title = chatTitles[event]
	if title == "" {
		title = event
	}
	var line string
	switch event {
	case "plan.due":
		line = fmt.Sprintf("%s：%s %s %s（%s）", d.Owner, d.Date, d.Time, d.Title, d.Customer)
	case "issue.assigned":
		line = fmt.Sprintf("工单 %s「%s」已指派给 %s", d.Code, d.Title, d.Assignee)
	case "issue.overdue":
		line = fmt.Sprintf("工单 %s「%s」已超过期限 %s，处理人：%s", d.Code, d.Title, d.DueAt, d.Assignee)
	case "digest.sent":
		line = d.Summary
	default:
		line = strings.TrimSpace(d.Code + " " + d.Title)
	}
	link := d.Link
	if link == "" && d.ID != 0 && linkable[d.Type] {
		link = views.Path(d.Type, d.ID)
	}
	if link != "" {
		line += "\n[在客缘中打开](" + strings.TrimRight(baseURL, "/") + link + ")"
	}
	return title, line
}
