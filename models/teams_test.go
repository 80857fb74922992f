package models

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// TestTeamsMigrationKeepsAccounts builds a database as the release before
// teams left it (migrations up to 0019, with users of the four old roles,
// their sessions, records they own and a report shared by role), then opens
// it with this program: migration 0020 rebuilds users without its CHECK on
// role names, and nothing that refers to a user may be lost on the way.
func TestTeamsMigrationKeepsAccounts(t *testing.T) {
	ctx := context.Background()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	old := &DB{Write: raw, Path: path, changed: make(chan struct{}, 1)}
	var before []migration
	for _, m := range all {
		if m.version < 20 {
			before = append(before, m)
		}
	}
	if err := old.applyMigrations(ctx, before); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO users (id, username, display_name, password_hash, role, created_at, updated_at) VALUES
		(1, 'admin', '管理员', 'x', 'admin', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z'), (2, 'boss', '周主管', 'x', 'manager', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z'),
		(3, 'zhang', '张伟', 'x', 'sales', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z'), (4, 'kefu', '孙客服', 'x', 'service', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z');
		INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('s3', 3, '2026-12-01T08:00:00Z', '2099-01-01T00:00:00Z');
		INSERT INTO customers (kind, code, name, owner_id, status, created_at, updated_at, created_by, updated_by)
			VALUES ('customer', 'KH1', '上海华信', 3, 'active', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z', 3, 3);
		INSERT INTO reports (id, name, owner_id, created_at, updated_at) VALUES (1000, '我的报表', 3, '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z');
		INSERT INTO report_roles (report_id, role) VALUES (1000, 'sales');`)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	defer db.Close()
	var sessions, customers, roles int
	if err := db.Read.QueryRow(`SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM customers WHERE owner_id = 3),
		(SELECT COUNT(*) FROM report_roles WHERE role = 'sales' AND report_id = 1000)`).Scan(&sessions, &customers, &roles); err != nil {
		t.Fatal(err)
	}
	if sessions != 1 || customers != 1 || roles != 1 {
		t.Errorf("after the migration: %d sessions, %d customers of zhang, %d report roles; want 1 each", sessions, customers, roles)
	}
	for id, want := range map[int64]Role{1: RoleAdmin, 2: RoleManager, 3: RoleSales, 4: RoleService} {
		u, err := db.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != want || u.TeamID != 0 {
			t.Errorf("user %d: role %q team %d, want %q in no team", id, u.Role, u.TeamID, want)
		}
	}
	// The old manager is the general manager: sees every customer; the old
	// salesperson sees their own.
	boss, _ := db.UserByID(ctx, 2)
	zhang, _ := db.UserByID(ctx, 3)
	if db.ActorFor(boss).Scope(ModCustomers) != ScopeAll || db.ActorFor(zhang).Scope(ModCustomers) != ScopeOwn {
		t.Error("the old roles do not keep their reach")
	}
	if got := len(db.RoleDefs()); got != 6 {
		t.Errorf("%d roles, want the 6 defaults", got)
	}
	var broken int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&broken); err != nil || broken != 0 {
		t.Errorf("foreign key check: %d broken, %v", broken, err)
	}
	var fk bool
	if err := db.Write.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || !fk {
		t.Errorf("foreign keys are off after the migration: %v", err)
	}
	// A role name outside the old four is now storable.
	u, _ := db.UserByID(ctx, 3)
	u.Role = RoleSupervisor
	if err := db.UpdateUser(ctx, 1, *u); err != nil {
		t.Errorf("a supervisor cannot be stored: %v", err)
	}
}

// TestRolesAndTeams: a team's supervisor sees the team's records, a changed
// role takes effect at once, and the last admin cannot be removed.
func TestRolesAndTeams(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureAdmin(ctx, "keyuan-long-pass-2026"); err != nil {
		t.Fatal(err)
	}
	var admin int64
	if err := db.Read.QueryRow(`SELECT id FROM users WHERE username = 'admin'`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	add := func(name string, r Role) *User {
		id, err := db.CreateUser(ctx, 0, NewUser{Username: name, DisplayName: name, Role: r, Password: "keyuan-test-pw-2026"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := db.UserByID(ctx, id)
		return u
	}
	sup, a1, a2, b1 := add("sup", RoleSupervisor), add("a1", RoleSales), add("a2", RoleSales), add("b1", RoleSales)
	team := &Team{Name: "销售一部", SupervisorID: sup.ID, MemberIDs: []int64{a1.ID, a2.ID}}
	if err := db.SaveTeam(ctx, admin, team); err != nil {
		t.Fatal(err)
	}
	s := db.ActorFor(sup)
	for _, c := range []struct {
		owner int64
		want  bool
	}{{a1.ID, true}, {a2.ID, true}, {sup.ID, true}, {b1.ID, false}} {
		if got := s.Sees(ModCustomers, c.owner); got != c.want {
			t.Errorf("supervisor sees %d: %v, want %v", c.owner, got, c.want)
		}
	}
	// A member sees only their own until their role's scope is the team.
	m := db.ActorFor(a1)
	if m.Sees(ModCustomers, a2.ID) {
		t.Error("a salesperson sees a teammate's customers")
	}
	d, _ := db.RoleDef(RoleSales)
	d.Scopes[ModCustomers] = ScopeTeam
	if err := db.SaveRole(ctx, admin, d); err != nil {
		t.Fatal(err)
	}
	if !db.ActorFor(a1).Sees(ModCustomers, a2.ID) || db.ActorFor(a1).Sees(ModCustomers, b1.ID) {
		t.Error("the team scope does not reach exactly the team")
	}
	if err := db.ResetRole(ctx, admin, RoleSales); err != nil || db.ActorFor(a1).Sees(ModCustomers, a2.ID) {
		t.Errorf("reset: %v", err)
	}
	// One team per supervisor.
	other := &Team{Name: "销售二部", SupervisorID: sup.ID}
	var errs FieldErrors
	if err := db.SaveTeam(ctx, admin, other); !errors.As(err, &errs) || errs["leader"] == "" {
		t.Errorf("a second team for the same supervisor: %v", err)
	}
	if err := db.SaveTeam(ctx, admin, &Team{Name: "销售一部"}); !errors.As(err, &errs) || errs["name"] != "validation.taken" {
		t.Errorf("a taken team name: %v", err)
	}
	// The last admin: neither the role nor the account can lose the settings.
	ad, _ := db.RoleDef(RoleAdmin)
	ad.Perms = []Permission{PermCustomersSee}
	if err := db.SaveRole(ctx, admin, ad); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("the admin role lost its settings permission: %v", err)
	}
	au, _ := db.UserByID(ctx, admin)
	au.Role = RoleSales
	if err := db.UpdateUser(ctx, admin, *au); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("the last admin was demoted: %v", err)
	}
	// A copy is a new role with the same matrix; in use, it cannot go.
	key, err := db.CopyRole(ctx, admin, RoleSupervisor, "华东主管")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := db.RoleDef(key); c.Builtin || c.Scope(ModCustomers) != ScopeTeam || !c.Can(PermCustomersManage) {
		t.Errorf("copy: %+v", c)
	}
	b, _ := db.UserByID(ctx, b1.ID)
	b.Role = key
	if err := db.UpdateUser(ctx, admin, *b); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRole(ctx, admin, key); !errors.Is(err, ErrInUse) {
		t.Errorf("a role in use was deleted: %v", err)
	}
	if err := db.DeleteRole(ctx, admin, RoleSales); !errors.Is(err, ErrInUse) {
		t.Errorf("a built-in role was deleted: %v", err)
	}
}

// TestRoleDefIsACopy: changing a role read from the database changes
// nothing until it is saved.
func TestRoleDefIsACopy(t *testing.T) {
	db := newTestDB(t)
	d, err := db.RoleDef(RoleSales)
	if err != nil {
		t.Fatal(err)
	}
	d.Scopes[ModCustomers] = ScopeAll
	d.Perms[0] = PermSettingsManage
	if (Actor{ID: 1, Role: RoleSales, role: db.accessTable().role(RoleSales)}).Scope(ModCustomers) != ScopeOwn ||
		db.RoleCan(RoleSales, PermSettingsManage) {
		t.Error("a change to a role read from the database reached the roles in use")
	}
}
