package search

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"keyuan/models"
)

func TestBadQueriesGiveNormalResults(t *testing.T) {
	f := newFixture(t)
	svc := f.open()
	f.addSeedArticles()
	if err := svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"empty":       "",
		"spaces":      "   \t ",
		"huge":        strings.Repeat("打印机卡纸 printer ", 700),
		"punctuation": "。，、！？…—·「」『』【】",
		"syntax":      `+-:*"~^()`,
		"syntax+word": `+打印机 -卡纸 title:"发票"~2 ^3 (a OR b) *`,
		"mixed":       "打印机printer卡纸jam发票invoice123",
		"control":     "发票\x00\x1b[31m",
		"invalid utf": "发票\xff\xfe",
		"regexp":      "/.*/ [a-z]+ \\",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := svc.Search(context.Background(), admin, Query{Text: q, Size: 10, CountByKind: true})
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if res == nil {
				t.Fatal("nil results")
			}
		})
	}
	// A capped huge query still finds what its beginning asks for.
	res := f.search(admin, Query{Text: strings.Repeat("打印机卡纸", 2000), Kinds: []string{"article"}, Size: 3})
	if len(res.Hits) == 0 {
		t.Error("huge query found nothing")
	}
}

func TestHighlightEscapesAndMarks(t *testing.T) {
	text := `<script>alert(1)</script> 打印机经常卡纸 & "quotes"`
	start := strings.Index(text, "打印")
	spans := []span{{start, start + len("打印")}, {start + len("打"), start + len("打印机")}}
	got := string(highlight(text, spans, 200, false))
	if strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("not escaped: %s", got)
	}
	if !strings.Contains(got, "<mark>打印机</mark>") {
		t.Errorf("overlapping bigrams should merge into one mark: %s", got)
	}
	if strings.Count(got, "<mark>") != 1 {
		t.Errorf("want one mark: %s", got)
	}
	long := strings.Repeat("无关内容", 100) + "关键的卡纸问题" + strings.Repeat("其他", 100)
	i := strings.Index(long, "卡纸")
	snip := string(highlight(long, []span{{i, i + len("卡纸")}}, 40, true))
	if !strings.Contains(snip, "<mark>卡纸</mark>") || !strings.HasPrefix(snip, "…") || !strings.HasSuffix(snip, "…") {
		t.Errorf("window snippet: %s", snip)
	}
}

func TestSearchHitIsHighlighted(t *testing.T) {
	f := newFixture(t)
	svc := f.open()
	a := &models.Article{Title: `打印机<b>卡纸</b>`, Symptom: `<img src=x onerror=alert(1)> 经常卡纸`}
	if err := f.db.SaveArticle(context.Background(), admin, a); err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := f.search(admin, Query{Text: "卡纸", Size: 5})
	if len(res.Hits) != 1 {
		t.Fatalf("hits: %d", len(res.Hits))
	}
	h := res.Hits[0]
	if !strings.Contains(string(h.Title), "<mark>卡纸</mark>") || strings.Contains(string(h.Title), "<b>") {
		t.Errorf("title: %s", h.Title)
	}
	if strings.Contains(string(h.Snippet), "<img") || !strings.Contains(string(h.Snippet), "<mark>卡纸</mark>") {
		t.Errorf("snippet: %s", h.Snippet)
	}
}

// TestQueuedChangeSurvivesCrash commits changes while no worker runs (as if
// the process died right after the commit) and checks that the next start
// applies them.
func TestQueuedChangeSurvivesCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.open()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	a := &models.Article{Title: "断电后数据库无法启动", Symptom: "机房断电"}
	if err := f.db.SaveArticle(ctx, admin, a); err != nil {
		t.Fatal(err)
	}
	if n, _, err := f.db.QueueState(ctx); err != nil || n != 1 {
		t.Fatalf("queue: %d %v", n, err)
	}
	// "Restart": a new service with its worker running.
	svc2, err := Open(ctx, f.db, f.dir, f.log, Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r := svc2.NeedsRebuild(); r != "" {
		t.Fatalf("an intact index should not need a rebuild, got %q", r)
	}
	svc2.Start()
	f.svc = svc2
	t.Cleanup(func() { svc2.Close() })
	waitFor(t, func() bool { return len(f.search(admin, Query{Text: "断电", Size: 5}).Hits) == 1 })
	waitFor(t, func() bool { n, _, err := f.db.QueueState(ctx); return err == nil && n == 0 })
	// A deleted record leaves the index: contacts can be deleted.
	cu := &models.Customer{Kind: "customer", Name: "杭州测试科技有限公司", OwnerID: 1}
	contacts := []models.Contact{{Name: "欧阳锋", Mobile: "13912345678"}}
	if err := f.db.CreateCustomer(ctx, admin, cu, contacts); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return len(f.search(admin, Query{Text: "欧阳锋", Kinds: []string{"contact"}, Size: 5}).Hits) == 1
	})
	waitFor(t, func() bool {
		return len(f.search(admin, Query{Text: "1391234", Kinds: []string{"contact"}, Size: 5}).Hits) == 1
	})
	if err := f.db.DeleteContact(ctx, admin, cu.ID, contacts[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return len(f.search(admin, Query{Text: "欧阳锋", Kinds: []string{"contact"}, Size: 5}).Hits) == 0
	})
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRebuildMissingCorruptAndOutdated(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.db.SaveArticle(ctx, admin, &models.Article{Title: "显示器闪烁"}); err != nil {
		t.Fatal(err)
	}
	reopen := func(t *testing.T, wantReason string) *Service {
		t.Helper()
		svc, err := Open(ctx, f.db, f.dir, f.log, Options{PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.NeedsRebuild(); got != wantReason {
			t.Fatalf("rebuild reason %q, want %q", got, wantReason)
		}
		if wantReason != "" && wantReason != "requested" {
			// Until the rebuild is done, search says so instead of failing.
			// (A requested rebuild keeps the intact old index answering.)
			if _, err := svc.Search(ctx, admin, Query{Text: "显示器"}); err != ErrRebuilding {
				t.Fatalf("search before rebuild: %v", err)
			}
		}
		svc.Start()
		f.svc = svc
		waitFor(t, func() bool {
			res, err := svc.Search(ctx, admin, Query{Text: "显示器", Size: 5})
			st := svc.Status()
			return err == nil && len(res.Hits) == 1 && st.State == "ready" && st.Reason == wantReason
		})
		if st := svc.Status(); st.State != "ready" || (wantReason != "" && (st.Reason != wantReason || st.Done != st.Total)) {
			t.Errorf("status after rebuild: %+v", st)
		}
		return svc
	}
	t.Run("missing", func(t *testing.T) {
		svc := reopen(t, "missing")
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("intact", func(t *testing.T) {
		if err := reopen(t, "").Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("outdated", func(t *testing.T) {
		idx, err := bleve.Open(filepath.Join(f.dir, "index"))
		if err != nil {
			t.Fatal(err)
		}
		if err := idx.SetInternal(versionKey, []byte(strconv.Itoa(MappingVersion-1))); err != nil {
			t.Fatal(err)
		}
		idx.Close()
		if err := reopen(t, "outdated").Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		meta := filepath.Join(f.dir, "index", "index_meta.json")
		if err := os.WriteFile(meta, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		svc := reopen(t, "unreadable")
		aside := svc.Status().MovedAside
		if aside == "" {
			t.Fatal("unreadable index not reported as moved aside")
		}
		// Moved aside, never deleted: the broken files are still there.
		if b, err := os.ReadFile(filepath.Join(aside, "index_meta.json")); err != nil || string(b) != "{not json" {
			t.Errorf("moved-aside index: %q %v", b, err)
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("requested", func(t *testing.T) {
		if err := f.db.RequestSearchRebuild(ctx); err != nil {
			t.Fatal(err)
		}
		svc := reopen(t, "requested")
		if r, _ := f.db.SearchRebuildRequested(ctx); r != "" {
			t.Errorf("request not cleared: %q", r)
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSalespersonSeesOnlyOwnRecords checks results, snippets and counts,
// also when the index has not caught up with a change of owner.
func TestSalespersonSeesOnlyOwnRecords(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc := f.open()
	alice, err := f.db.CreateUser(ctx, 0, models.NewUser{Username: "alice", DisplayName: "Alice", Role: models.RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := f.db.CreateUser(ctx, 0, models.NewUser{Username: "bob", DisplayName: "Bob", Role: models.RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(owner int64, name, contact string) *models.Customer {
		c := &models.Customer{Kind: "customer", Name: name, OwnerID: owner}
		if err := f.db.CreateCustomer(ctx, admin, c, []models.Contact{{Name: contact}}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	mk(alice, "星辰贸易有限公司", "张三丰")
	bobs := mk(bob, "星辰电子有限公司", "张无忌")
	if err := f.db.CreateIssue(ctx, admin, &models.Issue{CustomerID: bobs.ID, Subject: "星辰电子的打印机坏了", Priority: "normal"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	as := models.Actor{ID: alice, Role: models.RoleSales}
	res := f.search(as, Query{Text: "星辰", Size: 20, CountByKind: true})
	for _, h := range res.Hits {
		if strings.Contains(string(h.Title), "电子") || strings.Contains(string(h.Snippet), "电子") || strings.Contains(h.Sub, "电子") {
			t.Errorf("alice sees bob's record: %+v", h)
		}
	}
	if res.Total != 2 || res.ByKind["customer"] != 1 || res.ByKind["issue"] != 0 {
		t.Errorf("alice's counts: total %d, by kind %v", res.Total, res.ByKind)
	}
	if got := f.search(admin, Query{Text: "星辰", Size: 20}); got.Total != 5 {
		t.Errorf("admin total %d, want 5 (2 customers, 2 contacts, 1 issue): %v", got.Total, titles(got))
	}
	// Give bob's customer to alice and back without letting the index see
	// the first change: the database check still hides bob's record.
	if _, err := f.db.ChangeOwner(ctx, admin, "customer", []int64{bobs.ID}, alice); err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ChangeOwner(ctx, admin, "customer", []int64{bobs.ID}, bob); err != nil {
		t.Fatal(err)
	}
	res = f.search(as, Query{Text: "星辰电子", Size: 20, CountByKind: true})
	for _, h := range res.Hits {
		if strings.Contains(string(h.Title), "电子") || strings.Contains(string(h.Snippet), "电子") || strings.Contains(h.Sub, "电子") {
			t.Errorf("stale index leaked bob's record to alice: %+v", h)
		}
	}
}

func TestSimilarity(t *testing.T) {
	for _, c := range []struct {
		a, b     string
		min, max float64
	}{
		{"打印机经常卡纸", "打印机经常卡纸怎么办", 0.7, 1},
		{"打印机卡纸", "打印机卡纸", 1, 1},
		{"打印机卡纸", "发票丢失怎么办", 0, 0},
		{"Printer paper jam", "printer jam", 0.7, 0.9},
		{"", "x", 0, 0},
	} {
		if got := Similarity(c.a, c.b); got < c.min || got > c.max {
			t.Errorf("Similarity(%q, %q) = %.2f, want %.2f–%.2f", c.a, c.b, got, c.min, c.max)
		}
	}
}

func TestPlainMarkdown(t *testing.T) {
	got := plainMarkdown("## 步骤\n1. **轻轻**取出 `纸张`，见 [说明书](https://example.com/a)\n> 注意")
	if want := "步骤\n1. 轻轻取出 纸张，见 说明书\n注意"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPrefixFindsCodesPhonesAndNames(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc := f.open()
	c := &models.Customer{Kind: "customer", Name: "苏州启明电子有限公司", Phone: "0512-66778899", Email: "Sales@QiMing.example.cn", OwnerID: 1}
	if err := f.db.CreateCustomer(ctx, admin, c, []models.Contact{{Name: "Zhang Wei", Mobile: "13800138000"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{c.Code, c.Code[:4], "0512-6677", "05126677", "66778899", "sales@qiming", "苏州启明", "1380013", "zhang"} {
		res := f.search(admin, Query{Text: q, Size: 5})
		if len(res.Hits) == 0 {
			t.Errorf("%q finds nothing", q)
		}
	}
}
