package search

import (
	"context"
	"slices"
	"testing"
)

func TestSynonymsOf(t *testing.T) {
	groups := [][]string{{"登不上", "无法登录", "登录不了"}, {"打款", "付款"}}
	got := synonymsOf(groups, "手机登不上")
	if !slices.Equal(got, []string{"无法登录", "登录不了"}) {
		t.Errorf("got %q", got)
	}
	if got := synonymsOf(groups, "发票"); len(got) != 0 {
		t.Errorf("unrelated query expanded to %q", got)
	}
}

// A customer's word finds the article written with its synonym, ranked
// below an article using the word itself; an edited list applies to the
// next search without a reindex.
func TestSynonymsAreAppliedAtQueryTime(t *testing.T) {
	f := newFixture(t)
	svc := f.open()
	f.addSeedArticles()
	if err := svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	q := Query{Text: "登不上", Kinds: []string{"article"}, Size: 3}
	if got := titles(f.search(admin, q)); len(got) == 0 || got[0] != "账号被锁定无法登录" {
		t.Errorf("with the starter list: got %q", got)
	}
	svc.SetSynonyms([][]string{})
	if res := f.search(admin, q); !res.Loose {
		t.Errorf("with no synonyms: want only the loose fallback, got %q", titles(res))
	}
	svc.SetSynonyms([][]string{{"登不上", "账号已锁定"}})
	if got := titles(f.search(admin, q)); len(got) == 0 || got[0] != "账号被锁定无法登录" {
		t.Errorf("with an edited list: got %q", got)
	}
	svc.SetSynonyms(nil)
	if !slices.Equal(svc.Synonyms()[0], StarterSynonyms[0]) {
		t.Error("nil does not restore the starter list")
	}
}

// A query whose words match nothing falls back to its characters and says
// so; a query that matches is not marked loose.
func TestZeroResultsFallBackToCharacters(t *testing.T) {
	f := newFixture(t)
	svc := f.open()
	f.addSeedArticles()
	if err := svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc.SetSynonyms([][]string{})
	res := f.search(admin, Query{Text: "定锁号账", Kinds: []string{"article"}, Size: 3})
	if !res.Loose || len(res.Hits) == 0 || stripMarks(string(res.Hits[0].Title)) != "账号被锁定无法登录" {
		t.Errorf("loose %v, got %q", res.Loose, titles(res))
	}
	if res := f.search(admin, Query{Text: "发票", Kinds: []string{"article"}, Size: 3}); res.Loose || len(res.Hits) == 0 {
		t.Errorf("exact query: loose %v, %d hits", res.Loose, len(res.Hits))
	}
	if res := f.search(admin, Query{Text: "量子纠缠", Kinds: []string{"article"}, Size: 3}); res.Loose || len(res.Hits) != 0 {
		t.Errorf("unrelated query: loose %v, got %q", res.Loose, titles(res))
	}
}

// The admin's saved list is what a restarted service uses; an empty saved
// list means no synonyms, not the starter list.
func TestSavedSynonymsLoadAtStart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.open()
	if !slices.Equal(svc.Synonyms()[0], StarterSynonyms[0]) {
		t.Fatal("nothing saved: want the starter list")
	}
	svc.Close()
	if _, err := f.db.SaveSearchSynonyms(ctx, "吃纸、卡纸\n登不上 无法登录"); err != nil {
		t.Fatal(err)
	}
	svc, err := Open(ctx, f.db, f.dir, f.log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := svc.Synonyms()
	if len(got) != 2 || !slices.Equal(got[0], []string{"吃纸", "卡纸"}) || !slices.Equal(got[1], []string{"登不上", "无法登录"}) {
		t.Errorf("after restart: %q", got)
	}
	svc.Close()
	if _, err := f.db.SaveSearchSynonyms(ctx, "  \n"); err != nil {
		t.Fatal(err)
	}
	svc, err = Open(ctx, f.db, f.dir, f.log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if got := svc.Synonyms(); len(got) != 0 {
		t.Errorf("empty saved list: got %q", got)
	}
}
