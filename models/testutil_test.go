package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func init() { SetBcryptCostForTests() }

// testEnv is a fresh database file with default category lists and one user
// of every role (two salespeople, so row rules can be tested).
type testEnv struct {
	t   *testing.T
	ctx context.Context
	db  *DB

	admin, manager, sales1, sales2, service Actor
}

func newTestDB(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Loc, err = time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, ctx: context.Background(), db: newTestDB(t)}
	e.admin = e.user("admin", RoleAdmin)
	e.manager = e.user("manager", RoleManager)
	e.sales1 = e.user("sales1", RoleSales)
	e.sales2 = e.user("sales2", RoleSales)
	e.service = e.user("service", RoleService)
	return e
}

func (e *testEnv) user(name string, role Role) Actor {
	e.t.Helper()
	id, err := e.db.CreateUser(e.ctx, 0, NewUser{Username: name, DisplayName: name, Role: role, Password: "keyuan-test-pw-2026"})
	if err != nil {
		e.t.Fatal(err)
	}
	return Actor{ID: id, Role: role}
}

// aux returns the id of the default item with code in list typ.
func (e *testEnv) aux(typ, code string) int64 {
	e.t.Helper()
	items, err := e.db.AuxItemsOf(e.ctx, typ)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range items {
		if a.Code == code {
			return a.ID
		}
	}
	e.t.Fatalf("no %s item with code %s", typ, code)
	return 0
}

// create saves a record as actor and fails the test on error.
func (e *testEnv) create(actor Actor, c Customer, contacts ...Contact) *Customer {
	e.t.Helper()
	if c.Kind == "" {
		c.Kind = "customer"
	}
	if c.OwnerID == 0 {
		c.OwnerID = actor.ID
	}
	if err := e.db.CreateCustomer(e.ctx, actor, &c, contacts); err != nil {
		e.t.Fatalf("create %q: %v", c.Name, err)
	}
	return &c
}

// get reads a record with full rights.
func (e *testEnv) get(kind string, id int64) *Customer {
	e.t.Helper()
	c, err := e.db.GetCustomer(e.ctx, e.admin, kind, id)
	if err != nil {
		e.t.Fatalf("get %s %d: %v", kind, id, err)
	}
	return c
}

// setClock fixes db.Now at t.
func (e *testEnv) setClock(t time.Time) { e.db.SetClock(func() time.Time { return t }) }
