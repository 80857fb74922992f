package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestHostileCampaignTemplateRefused: a salesperson's {{range}} template is
// refused at save, preview, test and send with the part and the line, the
// message reads cleanly ("模板有误（第 2 行）", once), and nothing is queued.
func TestHostileCampaignTemplateRefused(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := fmt.Sprintf("/campaigns/%d", f.linaCamp)
	c.post(base+"/targets/filter", url.Values{})
	hostile := url.Values{"subject": {"邀请"}, "text": {"尊敬的客户\n{{range 100000000}}{{range 100000000}}x{{end}}{{end}}"}}
	res := c.post(base+"/mail", hostile)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "模板有误（第 2 行）") ||
		strings.Contains(res.Body, "%s") || strings.Count(res.Body, "第 2 行") != 1 || !strings.Contains(res.Body, "range") {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if res := c.post(base+"/mail/preview", hostile); res.StatusCode >= 500 || strings.Contains(res.Body, "xxxx") {
		t.Errorf("preview: %d", res.StatusCode)
	}
	if res := c.post(base+"/mail/test", hostile); res.StatusCode >= 500 {
		t.Errorf("test send: %d", res.StatusCode)
	}
	// Stored before the check existed: sending refuses it.
	if _, err := f.app.db.Write.Exec(`UPDATE campaigns SET mail_subject = '邀请', mail_text = '{{range 100000000}}x{{end}}' WHERE id = ?`,
		f.linaCamp); err != nil {
		t.Fatal(err)
	}
	if res := c.post(base+"/send", nil); res.StatusCode >= 500 || res.StatusCode == http.StatusOK && strings.Contains(res.Body, "已排队") {
		t.Errorf("send of a stored hostile template: %d", res.StatusCode)
	}
	var queued int
	f.app.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&queued)
	if queued != 0 {
		t.Errorf("%d messages queued", queued)
	}
}

// TestInvitationPreviewShowsContactTitle: the preview builds the recipient
// as the real send does, so {{.职务}} is the contact's title (it was empty).
func TestInvitationPreviewShowsContactTitle(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := fmt.Sprintf("/campaigns/%d", f.linaCamp)
	c.post(base+"/targets/filter", url.Values{})
	var tid int64
	f.app.db.Read.QueryRow(`SELECT id FROM campaign_targets WHERE campaign_id = ? AND email = 'a@retail.example.cn'`, f.linaCamp).Scan(&tid)
	res := c.post(base+"/mail/preview", url.Values{"subject": {"邀请"}, "text": {"尊敬的{{.联系人}}{{.职务}}，业务员{{.业务员}}"},
		"target": {strconv.FormatInt(tid, 10)}})
	if !strings.Contains(res.Body, "尊敬的李娜的零售客户联系人经理，业务员lina") {
		t.Fatalf("preview: %s", res.Body)
	}
	// The preview is the sent message: same text, same footer line.
	if !strings.Contains(res.Body, "http://example.test/u/preview") {
		t.Error("the preview lacks the unsubscribe footer the sent mail has")
	}
	c.post(base+"/send", url.Values{"subject": {"邀请"}, "text": {"尊敬的{{.联系人}}{{.职务}}，业务员{{.业务员}}"}})
	var sent string
	f.app.db.Read.QueryRow(`SELECT body_text FROM outbox WHERE to_email = 'a@retail.example.cn'`).Scan(&sent)
	body, _, _ := strings.Cut(sent, "\n\n--\n")
	if body != "尊敬的李娜的零售客户联系人经理，业务员lina" {
		t.Errorf("sent %q, the preview showed another text", sent)
	}
}
