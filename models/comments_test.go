package models

import (
	"fmt"
	"slices"
	"testing"
)

// TestCommentsNewestOldestFirst: a thread lists its newest limit comments,
// oldest of them first, with the count of all; limit 0 lists them all.
func TestCommentsNewestOldestFirst(t *testing.T) {
	e := newEnv(t)
	cu := e.create(e.sales1, Customer{Kind: "customer", Name: "评论顺序客户有限公司"})
	var want []string
	for i := range 5 {
		body := fmt.Sprintf("第 %d 条", i)
		if _, err := e.db.AddComment(e.ctx, e.sales1, "customer", cu.ID, body, "/"); err != nil {
			t.Fatal(err)
		}
		want = append(want, body)
	}
	for _, tc := range []struct {
		limit int
		want  []string
	}{{3, want[2:]}, {0, want}, {10, want}} {
		list, total, err := e.db.Comments(e.ctx, e.sales1, "customer", cu.ID, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			got = append(got, m.Body)
		}
		if total != 5 || !slices.Equal(got, tc.want) {
			t.Errorf("limit %d: %v of %d, want %v of 5", tc.limit, got, total, tc.want)
		}
	}
}
