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
	if got := titles(f.search(admin, q)); len(got) != 0 {
		t.Errorf("with no synonyms: got %q", got)
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
