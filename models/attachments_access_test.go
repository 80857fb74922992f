package models

import (
	"errors"
	"fmt"
	"testing"
)

// TestRecordAccessCustomerMatchesGetCustomer: the files panel's check of a
// customer or prospect (a primary-key lookup, not the whole record) lets
// exactly those in whom GetCustomer lets in, for every role, owner, kind
// and a missing id.
func TestRecordAccessCustomerMatchesGetCustomer(t *testing.T) {
	e := newEnv(t)
	cu := e.create(e.sales1, Customer{Kind: "customer", Name: "访问检查客户有限公司"})
	pr := e.create(e.sales2, Customer{Kind: "prospect", Name: "访问检查潜在客户有限公司"})
	checked := 0
	for _, a := range []Actor{e.admin, e.manager, e.sales1, e.sales2, e.service} {
		for _, kind := range []string{"customer", "prospect"} {
			for _, id := range []int64{cu.ID, pr.ID, pr.ID + 1000} {
				name := fmt.Sprintf("%s %s %d", a.Role, kind, id)
				_, want := e.db.GetCustomer(e.ctx, a, kind, id)
				edit, got := e.db.RecordAccess(e.ctx, a, kind, id)
				if (want == nil) != (got == nil) || (got != nil && !errors.Is(got, ErrNotFound)) {
					t.Errorf("%s: RecordAccess %v, GetCustomer %v", name, got, want)
				}
				if edit != a.EditsCustomers() {
					t.Errorf("%s: edit %v", name, edit)
				}
				if got == nil {
					checked++
				}
			}
		}
	}
	// admin, manager and service see both; each salesperson their own.
	if checked != 3*2+2 {
		t.Errorf("%d records visible in all, want 8: the test does not test", checked)
	}
}
