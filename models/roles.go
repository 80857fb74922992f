package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Roles and teams are read on every request (the actor of each), and change
// a few times a year: the database keeps them in memory (accessTable) and
// reloads them after each change, so an edited role takes effect on the next
// request, without a restart.

// accessTable is the roles and the teams as loaded.
type accessTable struct {
	roles   []*RoleDef // display order
	byKey   map[Role]*RoleDef
	teamOf  map[int64]int64   // user → the team they belong to
	leads   map[int64]int64   // supervisor → the team they lead
	members map[int64][]int64 // team → its members and its supervisor
}

func (t *accessTable) role(r Role) *RoleDef {
	if d := t.byKey[r]; d != nil {
		return d
	}
	// A role that is no longer there (deleted under a user by hand) may
	// do nothing.
	return &RoleDef{Key: r, Name: string(r)}
}

func (db *DB) accessTable() *accessTable {
	if t := db.access.Load(); t != nil {
		return t
	}
	return &accessTable{byKey: builtinDefaults}
}

// seedRoles writes the default roles a database lacks: all six on a new or
// upgraded database, and a built-in role added by a later release.
func (db *DB) seedRoles(ctx context.Context) error {
	for i, d := range DefaultRoles() {
		_, err := db.Write.ExecContext(ctx, `INSERT OR IGNORE INTO roles (key, name, builtin, permissions, scopes, position, updated_at)
			VALUES (?, '', 1, ?, ?, ?, ?)`, d.Key, formatPerms(d.Perms), formatScopes(d.Scopes), i, db.nowStamp())
		if err != nil {
			return fmt.Errorf("seed role %s: %w", d.Key, err)
		}
	}
	return db.loadAccess(ctx)
}

// loadAccess reads the roles and teams into memory.
func (db *DB) loadAccess(ctx context.Context) error {
	t := &accessTable{byKey: map[Role]*RoleDef{}, teamOf: map[int64]int64{}, leads: map[int64]int64{},
		members: map[int64][]int64{}}
	rows, err := db.Write.QueryContext(ctx, `SELECT key, name, builtin, permissions, scopes FROM roles ORDER BY position, key`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var d RoleDef
		var perms, scopes string
		if err := rows.Scan(&d.Key, &d.Name, &d.Builtin, &perms, &scopes); err != nil {
			rows.Close()
			return err
		}
		d.Perms, d.Scopes = parsePerms(perms), parseScopes(scopes)
		t.roles = append(t.roles, &d)
		t.byKey[d.Key] = &d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.Write.QueryContext(ctx, `SELECT id, team_id FROM users WHERE team_id IS NOT NULL
		UNION ALL SELECT supervisor_id, -id FROM teams WHERE supervisor_id IS NOT NULL`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var user, team int64
		if err := rows.Scan(&user, &team); err != nil {
			rows.Close()
			return err
		}
		if team < 0 { // the supervisor row
			team = -team
			t.leads[user] = team
		} else {
			t.teamOf[user] = team
		}
		if !slices.Contains(t.members[team], user) {
			t.members[team] = append(t.members[team], user)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	db.access.Store(t)
	return nil
}

// ActorFor is the user as an actor: their role as it is now, and the
// members of the team they lead or belong to (a team scope's reach).
func (db *DB) ActorFor(u *User) Actor {
	t := db.accessTable()
	a := Actor{ID: u.ID, Role: u.Role, role: t.role(u.Role)}
	var team []int64
	for _, id := range append(slices.Clone(t.members[t.leads[u.ID]]), t.members[t.teamOf[u.ID]]...) {
		if id != u.ID && !slices.Contains(team, id) {
			team = append(team, id)
		}
	}
	if len(team) > 0 {
		a.team = "," + formatIDs(team) + ","
	}
	return a
}

// UsersSeenBy lists the users actor may list: the people of their customers
// scope (oneself, one's team, everyone), all of them for an admin; the same
// rule as the report builder's users source (userRows).
func (db *DB) UsersSeenBy(ctx context.Context, actor Actor) ([]User, error) {
	all, err := db.Users(ctx)
	if err != nil || actor.Can(PermSettingsManage) {
		return all, err
	}
	return slices.DeleteFunc(all, func(u User) bool { return !actor.Sees(ModCustomers, u.ID) }), nil
}

// RoleDefs lists the roles, in display order.
func (db *DB) RoleDefs() []RoleDef {
	t := db.accessTable()
	out := make([]RoleDef, 0, len(t.roles))
	for _, d := range t.roles {
		out = append(out, d.clone())
	}
	return out
}

// clone is a copy of the role that shares nothing with the cached one: a
// caller changing its matrix (a form, a test) must not change what every
// request sees before it is saved.
func (d *RoleDef) clone() RoleDef {
	c := *d
	c.Perms = slices.Clone(d.Perms)
	c.Scopes = maps.Clone(d.Scopes)
	return c
}

// RoleKeys lists the roles' keys, in display order.
func (db *DB) RoleKeys() []Role {
	var out []Role
	for _, d := range db.accessTable().roles {
		out = append(out, d.Key)
	}
	return out
}

// RoleDef returns one role; ErrNotFound for an unknown key.
func (db *DB) RoleDef(r Role) (RoleDef, error) {
	if d := db.accessTable().byKey[r]; d != nil {
		return d.clone(), nil
	}
	return RoleDef{}, ErrNotFound
}

// RoleExists reports whether r is a role of this database.
func (db *DB) RoleExists(r Role) bool { return db.accessTable().byKey[r] != nil }

// RoleCan reports whether role r has p now.
func (db *DB) RoleCan(r Role, p Permission) bool { return db.accessTable().role(r).Can(p) }

// RolesWith lists the roles that have p, in display order.
func (db *DB) RolesWith(p Permission) []Role {
	var out []Role
	for _, d := range db.accessTable().roles {
		if d.Can(p) {
			out = append(out, d.Key)
		}
	}
	return out
}

// MustUseTwoFactor tells whether the role has to sign in with a second
// factor when the admin requires it: the roles that administer the system
// or manage every customer (hand them on, merge them).
func (d *RoleDef) MustUseTwoFactor() bool {
	return d.Can(PermSettingsManage) || (d.Can(PermCustomersManage) && d.Scope(ModCustomers) == ScopeAll)
}

// RoleMustUseTwoFactor is MustUseTwoFactor of a user's role.
func (db *DB) RoleMustUseTwoFactor(r Role) bool { return db.accessTable().role(r).MustUseTwoFactor() }

func formatPerms(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, " ")
}

// parsePerms reads a stored list, dropping names this release does not
// know (a cell removed from the matrix).
func parsePerms(s string) []Permission {
	var out []Permission
	for _, f := range strings.Fields(s) {
		if p, err := ParsePermission(f); err == nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func formatScopes(m map[Module]Scope) string {
	var parts []string
	for _, mod := range ScopedModules() {
		if s, ok := m[mod]; ok {
			parts = append(parts, string(mod)+"="+string(s))
		}
	}
	return strings.Join(parts, " ")
}

func parseScopes(s string) map[Module]Scope {
	out := map[Module]Scope{}
	for _, f := range strings.Fields(s) {
		mod, sc, ok := strings.Cut(f, "=")
		if ok && Scope(sc).Valid() && slices.Contains(ScopedModules(), Module(mod)) {
			out[Module(mod)] = Scope(sc)
		}
	}
	return out
}

// RoleMaxLen limits a custom role's name.
const RoleMaxLen = 40

// Validate checks a role as an admin edits it.
func (d *RoleDef) Validate() FieldErrors {
	errs := FieldErrors{}
	if !d.Builtin {
		switch {
		case strings.TrimSpace(d.Name) == "":
			errs["name"] = "validation.required"
		case TooLong(d.Name, RoleMaxLen):
			errs["name"] = "validation.too_long"
		}
	}
	for _, p := range d.Perms {
		if _, err := ParsePermission(string(p)); err != nil {
			errs["permissions"] = "validation.invalid_choice"
		}
	}
	for m, s := range d.Scopes {
		if !s.Valid() || !slices.Contains(ScopedModules(), m) {
			errs["scopes"] = "validation.invalid_choice"
		}
	}
	return errs
}

// ErrLastAdmin refuses a change that would leave no active user able to
// administer the system.
var ErrLastAdmin = errors.New("the last admin")

// SaveRole stores a role's matrix and scopes (and a custom role's name). A
// change that would leave no active user with the settings permission is
// refused with ErrLastAdmin.
func (db *DB) SaveRole(ctx context.Context, by int64, d RoleDef) error {
	old, err := db.RoleDef(d.Key)
	if err != nil {
		return err
	}
	d.Builtin = old.Builtin
	if d.Builtin {
		d.Name = ""
	}
	if errs := d.Validate(); len(errs) > 0 {
		return errs
	}
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE roles SET name = ?, permissions = ?, scopes = ?, updated_at = ? WHERE key = ?`,
			strings.TrimSpace(d.Name), formatPerms(d.Perms), formatScopes(d.Scopes), db.nowStamp(), d.Key); err != nil {
			return err
		}
		if err := checkAnAdminLeft(ctx, tx); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "role", 0, "update", diff([]fieldPair{
			{"key", string(d.Key), string(d.Key)},
			{"permissions", formatPerms(old.Perms), formatPerms(d.Perms)},
			{"scopes", formatScopes(old.Scopes), formatScopes(d.Scopes)},
		}))
	})
	if err != nil {
		return err
	}
	return db.loadAccess(ctx)
}

// ResetRole gives a built-in role its default matrix back.
func (db *DB) ResetRole(ctx context.Context, by int64, r Role) error {
	d, ok := builtinDefaults[r]
	if !ok {
		return ErrNotFound
	}
	return db.SaveRole(ctx, by, d.clone())
}

// CopyRole makes a custom role from another one's matrix, named name; it
// returns the new role's key.
func (db *DB) CopyRole(ctx context.Context, by int64, from Role, name string) (Role, error) {
	src, err := db.RoleDef(from)
	if err != nil {
		return "", err
	}
	d := RoleDef{Name: strings.TrimSpace(name), Perms: src.Perms, Scopes: src.Scopes}
	if errs := d.Validate(); len(errs) > 0 {
		return "", errs
	}
	var key Role
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles`).Scan(&n); err != nil {
			return err
		}
		// Keys are made, never typed: "custom1", "custom2" … the first free one.
		for i := 1; ; i++ {
			key = Role(fmt.Sprintf("custom%d", i))
			var taken bool
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM roles WHERE key = ?`, key).Scan(&taken); err != nil {
				return err
			}
			if !taken {
				break
			}
		}
		var dup bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM roles WHERE name = ? AND builtin = 0`, d.Name).Scan(&dup); err != nil {
			return err
		}
		if dup {
			return FieldErrors{"name": "validation.taken"}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO roles (key, name, builtin, permissions, scopes, position, updated_at)
			VALUES (?, ?, 0, ?, ?, ?, ?)`, key, d.Name, formatPerms(d.Perms), formatScopes(d.Scopes), n, db.nowStamp()); err != nil {
			return err
		}
		// The copy opens the reports its source opens.
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_roles (report_id, role) SELECT report_id, ? FROM report_roles
			WHERE role = ?`, key, from); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "role", 0, "create", []Change{{Field: "key", New: string(key)},
			{Field: "name", New: d.Name}})
	})
	if err != nil {
		return "", err
	}
	return key, db.loadAccess(ctx)
}

// DeleteRole removes a custom role no user has; ErrInUse otherwise.
func (db *DB) DeleteRole(ctx context.Context, by int64, r Role) error {
	d, err := db.RoleDef(r)
	if err != nil {
		return err
	}
	if d.Builtin {
		return ErrInUse
	}
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		var used bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM users WHERE role = ?`, r).Scan(&used); err != nil {
			return err
		}
		if used {
			return ErrInUse
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE key = ?`, r); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_roles WHERE role = ?`, r); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "role", 0, "delete", []Change{{Field: "key", Old: string(r)}})
	})
	if err != nil {
		return err
	}
	return db.loadAccess(ctx)
}

// checkAnAdminLeft fails with ErrLastAdmin when no active user's role (as
// the transaction sees the roles) has the settings permission.
func checkAnAdminLeft(ctx context.Context, tx *sql.Tx) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u JOIN roles r ON r.key = u.role
		WHERE u.active = 1 AND (' ' || r.permissions || ' ') LIKE ?`, "% "+string(PermSettingsManage)+" %").Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}
