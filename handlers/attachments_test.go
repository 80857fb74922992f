package handlers

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// namedFile is one file of a test upload.
type namedFile struct {
	name    string
	content []byte
}

// attach posts files to a record's panel, as the form without JavaScript does.
func (c *client) attach(path string, files ...namedFile) *response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(f.content)
	}
	mw.Close()
	return c.rawUpload(path, mw.FormDataContentType(), body.Bytes())
}

func (c *client) rawUpload(path, ctype string, body []byte) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	return c.do(req)
}

func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var testPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// attachmentIDs lists the ids of a record's attachments.
func (a *testApp) attachmentIDs(kind string, id int64) []int64 {
	a.t.Helper()
	list, err := a.db.Attachments(context.Background(), kind, id)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []int64
	for _, x := range list {
		out = append(out, x.ID)
	}
	return out
}

// storedBlobs counts content files on disk (thumbnails and temporaries aside).
func (a *testApp) storedBlobs() int {
	a.t.Helper()
	n := 0
	dir := filepath.Join(a.srv.cfg.DataDir, "files")
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(d.Name()) == 64 {
			n++
		}
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "upload-") {
			n += 1000 // a temporary left behind
		}
		return nil
	})
	return n
}

func TestAttachmentUploadDownloadAndRowRules(t *testing.T) {
	f := newFixture(t)
	own := f.mine["customer"]
	s1 := f.login("sales1")
	panel := fmt.Sprintf("/files/customer/%d", own.id)
	img := testPNG(t, 800, 600)
	res := s1.attach(panel, namedFile{`C:\Users\wang\报价单.pdf`, testPDF}, namedFile{"照片.png", img},
		namedFile{"notes.txt", []byte("plain notes\n")}, namedFile{"again.png", img})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d: %s", res.StatusCode, res.Body)
	}
	if n := f.storedBlobs(); n != 3 {
		t.Errorf("%d files stored, want 3 (the same picture twice is stored once)", n)
	}
	ids := f.attachmentIDs("customer", own.id)
	if len(ids) != 4 {
		t.Fatalf("attachments %v", ids)
	}
	page := s1.get(panel)
	for _, want := range []string{"报价单.pdf", "照片.png", "notes.txt"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("panel lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `C:\Users`) {
		t.Error("the browser's path was kept")
	}
	// The card loads the panel.
	if card := s1.get(fmt.Sprintf("/customers/%d", own.id)); !strings.Contains(card.Body, `hx-get="`+panel+`"`) {
		t.Error("the card has no files slot")
	}
	byName := map[string]int64{}
	for _, id := range ids {
		a, _, err := f.db.GetAttachment(context.Background(), models.SystemActor(), id)
		if err != nil {
			t.Fatal(err)
		}
		byName[a.Name] = id
	}
	check := func(name, wantType, wantDisp string) {
		t.Helper()
		res := s1.get(fmt.Sprintf("/attachments/%d", byName[name]))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, res.StatusCode)
		}
		h := res.Header
		if h.Get("Content-Type") != wantType || !strings.HasPrefix(h.Get("Content-Disposition"), wantDisp) ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: headers %v", name, h)
		}
	}
	check("照片.png", "image/png", "inline")
	check("报价单.pdf", "application/pdf", "inline")
	check("notes.txt", "application/octet-stream", "attachment")
	if th := s1.get(fmt.Sprintf("/attachments/%d/thumb", byName["照片.png"])); th.StatusCode != http.StatusOK ||
		th.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("thumbnail: %d %s", th.StatusCode, th.Header.Get("Content-Type"))
	} else if cfg, _, err := image.DecodeConfig(strings.NewReader(th.Body)); err != nil || cfg.Width != models.ThumbSize {
		t.Errorf("thumbnail %v %v", cfg, err)
	}

	// A colleague's customer's files: 404 by id, thumbnail, panel, upload,
	// delete; nothing changes.
	s2 := f.login("sales2")
	before := f.snapshot()
	for _, rc := range []routeCase{
		{"download", "GET", fmt.Sprintf("/attachments/%d", byName["notes.txt"]), nil},
		{"thumb", "GET", fmt.Sprintf("/attachments/%d/thumb", byName["照片.png"]), nil},
		{"panel", "GET", panel, nil},
		{"mentions", "GET", panel + "/mentions?q=s", nil},
		{"comment", "POST", panel + "/comments", url.Values{"body": {"hi"}}},
		{"delete", "POST", fmt.Sprintf("/attachments/%d/delete", byName["notes.txt"]), nil},
	} {
		if res := s2.send(rc); res.StatusCode != http.StatusNotFound {
			t.Errorf("colleague %s: status %d, want 404", rc.name, res.StatusCode)
		}
	}
	if res := s2.attach(panel, namedFile{"x.txt", []byte("x")}); res.StatusCode != http.StatusNotFound {
		t.Errorf("colleague upload: status %d", res.StatusCode)
	}
	if after := f.snapshot(); after != before {
		t.Errorf("data changed:\n%s", diffLines(before, after))
	}
	// Service staff read every customer's files but add none.
	svc := f.login("service")
	if res := svc.get(fmt.Sprintf("/attachments/%d", byName["notes.txt"])); res.StatusCode != http.StatusOK {
		t.Errorf("service download: %d", res.StatusCode)
	}
	if res := svc.attach(panel, namedFile{"x.txt", []byte("x")}); res.StatusCode != http.StatusNotFound {
		t.Errorf("service upload: %d", res.StatusCode)
	}
	if res := svc.post(fmt.Sprintf("/attachments/%d/delete", byName["notes.txt"]), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("service delete: %d", res.StatusCode)
	}
	// The owner deletes one; the clean-up keeps content still in use.
	if res := s1.post(fmt.Sprintf("/attachments/%d/delete", byName["again.png"]), nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if _, err := f.srv.fileStore().CleanFiles(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := s1.get(fmt.Sprintf("/attachments/%d", byName["照片.png"])); res.StatusCode != http.StatusOK || res.Body != string(img) {
		t.Errorf("the other use of the picture: %d", res.StatusCode)
	}
}

// TestAttachmentRefusals: each bad upload gets a clear message, and leaves
// no row and no file behind.
func TestAttachmentRefusals(t *testing.T) {
	f := newFixture(t)
	own := f.mine["prospect"]
	s1 := f.login("sales1")
	panel := fmt.Sprintf("/files/prospect/%d", own.id)
	if err := f.db.SaveFileSettings(context.Background(), strings.Join(models.DefaultFileTypes, " "), 1, 100); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("a"), 1<<20+1)
	many := make([]namedFile, 1000)
	for i := range many {
		many[i] = namedFile{fmt.Sprintf("f%d.txt", i), []byte("file " + strconv.Itoa(i))}
	}
	var trunc bytes.Buffer
	mw := multipart.NewWriter(&trunc)
	fw, _ := mw.CreateFormFile("file", "cut.txt")
	fw.Write(bytes.Repeat([]byte("b"), 5000))
	truncated := trunc.Bytes()[:trunc.Len()-100] // no closing boundary
	cases := []struct {
		name   string
		send   func() *response
		status int
		msg    string
	}{
		{"zero bytes", func() *response { return s1.attach(panel, namedFile{"empty.txt", nil}) }, 422, "文件是空的"},
		{"html", func() *response {
			return s1.attach(panel, namedFile{"ok.txt", []byte("fine")}, namedFile{"evil.txt", []byte("<html><script>alert(1)</script></html>")})
		}, 422, "不允许上传这种类型"},
		{"svg", func() *response {
			return s1.attach(panel, namedFile{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)})
		}, 422, "不允许上传这种类型"},
		{"over size", func() *response {
			return s1.attach(panel, namedFile{"ok.txt", []byte("fine")}, namedFile{"big.txt", big})
		}, 413, "超过单个文件大小上限"},
		{"truncated", func() *response { return s1.rawUpload(panel, mw.FormDataContentType(), truncated) }, 400, "没有完整到达"},
		{"1000 files", func() *response { return s1.attach(panel, many...) }, 422, "一次最多上传 20 个文件"},
		{"no file", func() *response { return s1.attach(panel) }, 422, "没有选择文件"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.send()
			if res.StatusCode != tc.status || !strings.Contains(res.Body, tc.msg) {
				t.Errorf("status %d, want %d with %q", res.StatusCode, tc.status, tc.msg)
			}
			if ids := f.attachmentIDs("prospect", own.id); len(ids) != 0 {
				t.Errorf("attachments left: %v", ids)
			}
			if n := f.storedBlobs(); n != 0 {
				t.Errorf("%d files left on disk", n)
			}
			var blobs int
			f.db.Read.QueryRow(`SELECT COUNT(*) FROM file_blobs`).Scan(&blobs)
			if blobs != 0 {
				t.Errorf("%d blob rows left", blobs)
			}
		})
	}
}

// TestAttachmentsFollowTheirRecord: a customer deleted with its files comes
// back with them; the clean-up job does not take content the bin holds.
func TestAttachmentsFollowTheirRecord(t *testing.T) {
	f := newFixture(t)
	own := f.mine["customer"]
	s1 := f.login("sales1")
	img := testPNG(t, 40, 30)
	if res := s1.attach(fmt.Sprintf("/files/customer/%d", own.id), namedFile{"合同.png", img}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload %d", res.StatusCode)
	}
	aid := f.attachmentIDs("customer", own.id)[0]
	entry, err := f.db.DeleteRecord(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, "customer", own.id)
	if err != nil {
		t.Fatal(err)
	}
	if res := s1.get(fmt.Sprintf("/attachments/%d", aid)); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted record's file: %d", res.StatusCode)
	}
	if _, err := f.srv.fileStore().CleanFiles(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.storedBlobs() != 1 {
		t.Fatal("the clean-up removed content the recycle bin holds")
	}
	if _, _, err := f.db.RestoreTrash(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, entry); err != nil {
		t.Fatal(err)
	}
	if res := s1.get(fmt.Sprintf("/attachments/%d", aid)); res.StatusCode != http.StatusOK || res.Body != string(img) {
		t.Errorf("after restore: %d", res.StatusCode)
	}
	// The search finds the customer by the file's name.
	f.sync()
	if res := s1.get("/search?q=" + url.QueryEscape("合同")); !strings.Contains(res.Body, own.name) {
		t.Error("search does not find the customer by its attachment's name")
	}
}

func TestCommentsMentionsAndEditWindow(t *testing.T) {
	f := newFixture(t)
	own := f.mine["customer"]
	panel := fmt.Sprintf("/files/customer/%d", own.id)
	s1 := f.login("sales1")
	res := s1.post(panel+"/comments", url.Values{"body": {"请 @manager 和 @sales2 看看 https://example.com/x?a=1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d %s", res.StatusCode, res.Body)
	}
	count := func(user int64) int {
		var n int
		f.db.Read.QueryRow(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'mention'`, user).Scan(&n)
		return n
	}
	if count(f.manager) != 1 || count(f.sales2) != 0 {
		t.Errorf("mentions: manager %d, sales2 %d (may not see the customer)", count(f.manager), count(f.sales2))
	}
	page := s1.get(panel)
	if !strings.Contains(page.Body, `<a href="https://example.com/x?a=1" rel="noopener noreferrer nofollow"`) {
		t.Error("the link is not clickable")
	}
	// Autocomplete offers only colleagues who may see the record.
	m := s1.get(panel + "/mentions?q=s")
	if !strings.Contains(m.Body, `"service"`) || strings.Contains(m.Body, `"sales2"`) {
		t.Errorf("mention options: %s", m.Body)
	}
	// Empty comment: a message, nothing saved.
	if res := s1.post(panel+"/comments", url.Values{"body": {"   "}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body, "评论不能为空") {
		t.Errorf("empty comment: %d", res.StatusCode)
	}
	var cid int64
	f.db.Read.QueryRow(`SELECT id FROM comments`).Scan(&cid)
	// Someone else cannot change it.
	mgr := f.login("manager")
	if res := mgr.post(fmt.Sprintf("/comments/%d", cid), url.Values{"body": {"改了"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("another's comment: %d", res.StatusCode)
	}
	if res := s1.post(fmt.Sprintf("/comments/%d", cid), url.Values{"body": {"改过的评论"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("edit: %d", res.StatusCode)
	}
	var versions int
	f.db.Read.QueryRow(`SELECT COUNT(*) FROM comment_versions WHERE comment_id = ?`, cid).Scan(&versions)
	if versions != 1 {
		t.Errorf("versions %d", versions)
	}
	later := time.Now().Add(16 * time.Minute)
	f.db.SetClock(func() time.Time { return later })
	if res := s1.post(fmt.Sprintf("/comments/%d/delete", cid), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("delete after the window: %d", res.StatusCode)
	}
	f.db.SetClock(time.Now)
	if res := s1.post(fmt.Sprintf("/comments/%d/delete", cid), nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if page := s1.get(panel); !strings.Contains(page.Body, "评论已删除") || strings.Contains(page.Body, "改过的评论") {
		t.Error("the deleted comment still shows")
	}
}

// TestCommentsInTheTimeline: the record's history shows its comments in
// time order beside its changes, on the customer, opportunity and issue
// cards.
func TestCommentsInTheTimeline(t *testing.T) {
	f := newFixture(t)
	own := f.mine["customer"]
	s1 := f.login("sales1")
	now := time.Now().UTC()
	f.db.SetClock(func() time.Time { return now })
	if res := s1.post(fmt.Sprintf("/files/customer/%d/comments", own.id), url.Values{"body": {"客户说下周再谈 <b>价格</b>"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.StatusCode)
	}
	f.db.SetClock(func() time.Time { return now.Add(time.Minute) })
	if res := s1.post(fmt.Sprintf("/customers/%d", own.id), url.Values{"name": {"改名后的客户有限公司"}, "status": {"active"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
	}
	card := s1.get(fmt.Sprintf("/customers/%d", own.id)).Body
	history := card[strings.Index(card, `id="history"`):]
	comment := strings.Index(history, "客户说下周再谈 &lt;b&gt;价格&lt;/b&gt;")
	change := strings.Index(history, "改名后的客户有限公司")
	if comment < 0 || change < 0 || change > comment {
		t.Errorf("the timeline lacks the comment (escaped) after the newer change: comment at %d, change at %d", comment, change)
	}
	opp := models.Opportunity{Name: "时间线机会", CustomerID: own.id, OwnerID: f.sales1, AmountFen: 100}
	if err := f.db.SaveOpportunity(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, &opp); err != nil {
		t.Fatal(err)
	}
	s1.post(fmt.Sprintf("/files/opportunity/%d/comments", opp.ID), url.Values{"body": {"报价已发"}})
	if page := s1.get(fmt.Sprintf("/opportunities/%d", opp.ID)); !strings.Contains(page.Body[strings.Index(page.Body, "<body"):], "报价已发") {
		t.Error("the opportunity's timeline lacks its comment")
	}
}

func TestFilesAdmin(t *testing.T) {
	f := newFixture(t)
	admin := f.login("admin")
	if res := admin.get("/admin/files"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "application/pdf") {
		t.Fatalf("admin page %d", res.StatusCode)
	}
	res := admin.post("/admin/files", url.Values{"types": {"nonsense"}, "max_mb": {"999"}, "quota_mb": {"0"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "nonsense") {
		t.Errorf("bad settings: %d", res.StatusCode)
	}
	res = admin.post("/admin/files", url.Values{"types": {"application/pdf\ntext/plain"}, "max_mb": {"5"}, "quota_mb": {"100"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	set, _ := f.db.FileSettings(context.Background())
	if set.MaxBytes != 5<<20 || len(set.Types) != 2 {
		t.Errorf("settings %+v", set)
	}
	_ = os.Getenv
}

// fileRoutes lists every route of a record's attachments and comments: its
// panel (kind, id), one attachment (aid) and one comment (cid). A new
// attachment or comment route goes here.
func fileRoutes(kind string, id, aid, cid int64) []routeCase {
	p := fmt.Sprintf("/files/%s/%d", kind, id)
	return []routeCase{
		{"panel", "GET", p, nil},
		{"upload", "POST", p, nil},
		{"comment", "POST", p + "/comments", url.Values{"body": {"看看"}}},
		{"mention options", "GET", p + "/mentions?q=", nil},
		{"comment edit", "POST", fmt.Sprintf("/comments/%d", cid), url.Values{"body": {"改"}}},
		{"comment delete", "POST", fmt.Sprintf("/comments/%d/delete", cid), nil},
		{"download", "GET", fmt.Sprintf("/attachments/%d", aid), nil},
		{"thumbnail", "GET", fmt.Sprintf("/attachments/%d/thumb", aid), nil},
		{"attachment delete", "POST", fmt.Sprintf("/attachments/%d/delete", aid), nil},
	}
}

// TestFileRoutesRoleTable: every attachment and comment route of a
// colleague's customer is a 404 to a salesperson and changes nothing; the
// owner, managers and service staff (who read every customer) get through
// the row rules.
func TestFileRoutesRoleTable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := models.Actor{ID: f.sales2, Role: models.RoleSales}
	rec := f.theirs["customer"]
	a, err := f.srv.fileStore().Store(ctx, owner, "customer", rec.id, models.Upload{Name: "p.png", Body: bytes.NewReader(testPNG(t, 20, 20))})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := f.db.AddComment(ctx, owner, "customer", rec.id, "第一条", "/")
	if err != nil {
		t.Fatal(err)
	}
	routes := fileRoutes("customer", rec.id, a.ID, cid)
	table := []struct {
		who     string
		through bool
	}{{"sales1", false}, {"sales2", true}, {"manager", true}, {"service", true}, {"admin", true}}
	for _, row := range table {
		c := f.login(row.who)
		for _, rc := range routes {
			t.Run(row.who+"/"+rc.name, func(t *testing.T) {
				before := f.snapshot()
				res := c.send(rc)
				if !row.through {
					if res.StatusCode != http.StatusNotFound {
						t.Errorf("%s %s: status %d, want 404", rc.method, rc.path, res.StatusCode)
					}
					if after := f.snapshot(); after != before {
						t.Errorf("data changed:\n%s", diffLines(before, after))
					}
					return
				}
				if res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
					t.Errorf("%s %s: status %d", rc.method, rc.path, res.StatusCode)
				}
			})
		}
	}
	t.Run("anonymous is sent to the login page", func(t *testing.T) {
		for _, rc := range routes {
			if res := f.anon().send(rc); res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s %s: %d", rc.method, rc.path, res.StatusCode)
			}
		}
	})
	t.Run("an unknown kind or a guessed id is a 404", func(t *testing.T) {
		s1 := f.login("sales1")
		for _, p := range []string{"/files/plan/1", "/files/report/1", "/files/customer/999999", "/attachments/999999",
			"/files/../../etc/passwd/1"} {
			if res := s1.get(p); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", p, res.StatusCode)
			}
		}
	})
}

// TestAttachmentsOnConversionAndErasure: a prospect's files go with it to
// the customer it becomes; erasing the customer removes its files, content
// included.
func TestAttachmentsOnConversionAndErasure(t *testing.T) {
	f := newFixture(t)
	p := f.mine["prospect"]
	s1 := f.login("sales1")
	if res := s1.attach(fmt.Sprintf("/files/prospect/%d", p.id), namedFile{"名片.png", testPNG(t, 30, 30)}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload %d", res.StatusCode)
	}
	if res := s1.post(fmt.Sprintf("/files/prospect/%d/comments", p.id), url.Values{"body": {p.name + " 很感兴趣"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment %d", res.StatusCode)
	}
	res := s1.post(fmt.Sprintf("/prospects/%d/convert", p.id), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("convert %d", res.StatusCode)
	}
	var cust int64
	var code string
	f.db.Read.QueryRow(`SELECT id, code FROM customers WHERE kind = 'customer' AND name = ?`, p.name).Scan(&cust, &code)
	if ids := f.attachmentIDs("customer", cust); len(ids) != 1 {
		t.Fatalf("the customer has %d attachments", len(ids))
	}
	admin := f.login("admin")
	if res := admin.post(fmt.Sprintf("/customers/%d/erase", cust), url.Values{"confirm_code": {code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase %d", res.StatusCode)
	}
	if ids := f.attachmentIDs("customer", cust); len(ids) != 0 {
		t.Errorf("attachments left after erasure: %v", ids)
	}
	if n := f.storedBlobs(); n != 0 {
		t.Errorf("%d files left on disk after erasure", n)
	}
	var body string
	f.db.Read.QueryRow(`SELECT body FROM comments WHERE customer_id = ?`, cust).Scan(&body)
	if strings.Contains(body, p.name) {
		t.Errorf("the comment still names the person: %q", body)
	}
}

// TestAttachmentsFollowAMerge: the merged-away customer's files and
// comments move to the survivor (the merge follows the schema's foreign keys).
func TestAttachmentsFollowAMerge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := models.Actor{ID: f.sales1, Role: models.RoleSales}
	gone := f.addRecord(f.sales1, "customer", "重复客户乙")
	keep := f.mine["customer"]
	if _, err := f.srv.fileStore().Store(ctx, owner, "customer", gone.id, models.Upload{Name: "合同.pdf", Body: bytes.NewReader(testPDF)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AddComment(ctx, owner, "customer", gone.id, "重复的那家", "/"); err != nil {
		t.Fatal(err)
	}
	if err := f.db.MergeCustomers(ctx, models.Actor{ID: f.manager, Role: models.RoleManager}, "customer",
		[]int64{keep.id, gone.id}, keep.id, nil); err != nil {
		t.Fatal(err)
	}
	if ids := f.attachmentIDs("customer", keep.id); len(ids) != 1 {
		t.Errorf("the survivor has %d attachments", len(ids))
	}
	if list, n, err := f.db.Comments(ctx, owner, "customer", keep.id, 0); err != nil || n != 1 || list[0].Body != "重复的那家" {
		t.Errorf("the survivor's comments: %v %d %v", list, n, err)
	}
}

// TestCommentByHTMXAnswersThePanel: the card's comment form (htmx) gets the
// panel back, with the new comment, not a redirect.
func TestCommentByHTMXAnswersThePanel(t *testing.T) {
	f := newFixture(t)
	s1 := f.login("sales1")
	panel := fmt.Sprintf("/files/customer/%d", f.mine["customer"].id)
	res := s1.post(panel+"/comments", url.Values{"body": {"用 htmx 发的"}}, "HX-Request", "true")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `id="files-panel"`) || !strings.Contains(res.Body, "用 htmx 发的") ||
		strings.Contains(res.Body, "<html") {
		t.Errorf("status %d: %.300s", res.StatusCode, res.Body)
	}
}

// TestArticleEmbedsItsImage: an image attached to a knowledge article can be
// shown in the article's Markdown (the panel offers the line to paste), and
// every reader of the knowledge base gets it; an image from elsewhere is not
// loaded (the page's CSP allows images of this site only).
func TestArticleEmbedsItsImage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	art := models.Article{Title: "打印机卡纸处理", Symptom: "卡纸", Solution: "先关机"}
	if err := f.db.SaveArticle(ctx, models.Actor{ID: f.service, Role: models.RoleService}, &art); err != nil {
		t.Fatal(err)
	}
	kefu := f.login("service")
	panel := fmt.Sprintf("/files/article/%d", art.ID)
	if res := kefu.attach(panel, namedFile{"卡纸位置.png", testPNG(t, 320, 200)}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
	}
	ids := f.attachmentIDs("article", art.ID)
	if len(ids) != 1 {
		t.Fatalf("attachments %v", ids)
	}
	line := fmt.Sprintf("![卡纸位置.png](/attachments/%d)", ids[0])
	if !strings.Contains(kefu.get(panel).Body, `value="`+line+`"`) {
		t.Errorf("the panel does not offer %s", line)
	}
	art.Solution = "先关机，按图示取出纸张：\n\n" + line + "\n\n![外链](https://evil.example/x.png)"
	if err := f.db.SaveArticle(ctx, models.Actor{ID: f.service, Role: models.RoleService}, &art); err != nil {
		t.Fatal(err)
	}
	reader := f.login("sales1")
	page := reader.get(fmt.Sprintf("/kb/%d", art.ID))
	if !strings.Contains(page.Body, fmt.Sprintf(`<img src="/attachments/%d"`, ids[0])) {
		t.Fatal("the article does not show its image")
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") {
		t.Errorf("CSP %q would load images from other sites", csp)
	}
	img := reader.get(fmt.Sprintf("/attachments/%d", ids[0]))
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" {
		t.Errorf("a reader gets the image: %d %s", img.StatusCode, img.Header.Get("Content-Type"))
	}
}

// TestMentionFollowsTheChosenChannels: a mention rings the bell and sends an
// e-mail, each only when the person chose that channel for mentions.
func TestMentionFollowsTheChosenChannels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.db.Write.Exec(`UPDATE users SET email = 'boss@example.test' WHERE id = ?`, f.manager); err != nil {
		t.Fatal(err)
	}
	own := f.mine["customer"]
	s1 := f.login("sales1")
	comment := func(text string) {
		t.Helper()
		if res := s1.post(fmt.Sprintf("/files/customer/%d/comments", own.id), url.Values{"body": {text}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("comment: %d", res.StatusCode)
		}
	}
	counts := func() (bell, mail int) {
		f.db.Read.QueryRow(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'mention'`, f.manager).Scan(&bell)
		f.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE to_email = 'boss@example.test'`).Scan(&mail)
		return
	}
	comment("@manager 请看一下报价")
	if bell, mail := counts(); bell != 1 || mail != 1 {
		t.Errorf("by default: bell %d, mail %d, want 1 and 1", bell, mail)
	}
	var subject string
	f.db.Read.QueryRow(`SELECT subject FROM outbox WHERE to_email = 'boss@example.test'`).Scan(&subject)
	if !strings.Contains(subject, "在评论中提到了您") {
		t.Errorf("subject %q", subject)
	}
	if err := f.db.SaveNoticePrefs(ctx, f.manager, map[string][]string{"mention": {"email"}}); err != nil {
		t.Fatal(err)
	}
	comment("@manager 第二条")
	if bell, mail := counts(); bell != 1 || mail != 2 {
		t.Errorf("e-mail only: bell %d, mail %d, want 1 and 2", bell, mail)
	}
	if err := f.db.SaveNoticePrefs(ctx, f.manager, map[string][]string{"mention": {}}); err != nil {
		t.Fatal(err)
	}
	comment("@manager 第三条")
	if bell, mail := counts(); bell != 1 || mail != 2 {
		t.Errorf("nothing chosen: bell %d, mail %d, want 1 and 2", bell, mail)
	}
}

// TestContactFilesFromTheCard: each contact on a customer card has a way to
// its files, and a file attached to a contact is kept there.
func TestContactFilesFromTheCard(t *testing.T) {
	f := newFixture(t)
	own := f.mine["customer"]
	s1 := f.login("sales1")
	card := s1.get(fmt.Sprintf("/customers/%d", own.id))
	link := fmt.Sprintf(`href="/files/contact/%d"`, own.contact)
	if !strings.Contains(card.Body, link) {
		t.Fatalf("the card has no link to the contact's files (%s)", link)
	}
	panel := fmt.Sprintf("/files/contact/%d", own.contact)
	if res := s1.attach(panel, namedFile{"名片.png", testPNG(t, 64, 40)}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
	}
	if page := s1.get(panel); !strings.Contains(page.Body, "名片.png") {
		t.Error("the contact's panel does not list its file")
	}
	if res := f.login("sales2").get(panel); res.StatusCode != http.StatusNotFound {
		t.Errorf("a colleague opens the contact's files: %d", res.StatusCode)
	}
}
