package models

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkWebhooksCustomerUpdate measures what webhooks add to a write:
// one customer update (its history line, and the events it queues) with no
// webhook, and with three webhooks that all receive "customer.updated".
// Run: go test ./models -run '^$' -bench WebhooksCustomerUpdate -benchtime 2000x
func BenchmarkWebhooksCustomerUpdate(b *testing.B) {
	for _, hooks := range []int{0, 3} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.SeedDefaults(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := db.EnsureAdmin(ctx, "password123"); err != nil {
				b.Fatal(err)
			}
			admin := Actor{ID: 1, Role: RoleAdmin}
			for i := range hooks {
				w := &Webhook{Name: fmt.Sprint("hook", i), URL: "https://erp.example.cn/hook", Kind: WebhookGeneric,
					Events: []string{"customer.created", "customer.updated"}}
				if err := db.SaveWebhook(ctx, admin, w); err != nil {
					b.Fatal(err)
				}
			}
			c := &Customer{Kind: "customer", Name: "上海华信科技有限公司", OwnerID: 1}
			if err := db.CreateCustomer(ctx, admin, c, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Phone = fmt.Sprintf("021-%08d", i)
				if err := db.UpdateCustomer(ctx, admin, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
