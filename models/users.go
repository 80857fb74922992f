package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Role is a key of the roles table: what a user may do (its matrix and
// scopes, RoleDef). The six built-in keys are below; an admin's copies are
// "custom1", "custom2" …. The keys "manager" and "sales" are those of the
// first release, kept so that upgraded databases need no rewrite.
type Role string

const (
	RoleAdmin      Role = "admin"      // 系统管理员
	RoleManager    Role = "manager"    // 总经理 (the first release's 主管)
	RoleDirector   Role = "director"   // 销售总监
	RoleSupervisor Role = "supervisor" // 销售主管
	RoleSales      Role = "sales"      // 销售人员
	RoleService    Role = "service"    // 服务人员
)

// Actor is who performs an operation. Every query that reads or changes
// business data takes one, so authorization lives in the SQL. DB.ActorFor
// makes one from a user with their role as stored and their team; an actor
// made by hand (tests) has its built-in role's defaults and no team.
type Actor struct {
	ID   int64
	Role Role
	role *RoleDef
	// team is the other members of the team they lead or belong to, as
	// ",3,5,9," (a string keeps Actor comparable, a map key in tests).
	team string
}

// User is an account.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	Email       string
	Role        Role
	Lang        string
	Active      bool
	CreatedAt   string
	UpdatedAt   string
	TwoFactor   bool  // signs in with a second factor (TOTP)
	TeamID      int64 // the team they belong to (0: none)
}

const userColumns = `id, username, display_name, email, role, lang, active, created_at, updated_at, totp_secret <> '', COALESCE(team_id, 0)`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Role, &u.Lang, &u.Active, &u.CreatedAt, &u.UpdatedAt,
		&u.TwoFactor, &u.TeamID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &u, err
}

// UserByID returns a user, active or not.
func (db *DB) UserByID(ctx context.Context, id int64) (*User, error) {
	return scanUser(db.Read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// Users lists all users, active first, by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	return queryList(ctx, db.Read, `SELECT `+userColumns+` FROM users ORDER BY active DESC, display_name, id`, nil, scanUser)
}

// ActiveUsersByRole lists the active users with one of the given roles
// (all roles when none is given), e.g. for an owner picker.
func (db *DB) ActiveUsersByRole(ctx context.Context, roles ...Role) ([]User, error) {
	all, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, u := range all {
		if !u.Active {
			continue
		}
		if len(roles) == 0 {
			out = append(out, u)
			continue
		}
		for _, r := range roles {
			if u.Role == r {
				out = append(out, u)
				break
			}
		}
	}
	return out, nil
}

// CountUsers counts all users.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CountCustomers counts customers and prospects together (used to tell a
// new, empty database from one in use).
func (db *DB) CountCustomers(ctx context.Context) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n)
	return n, err
}

// bcryptCost is a variable so tests can make hashing cheap.
var bcryptCost = bcrypt.DefaultCost

// SetBcryptCostForTests lowers the hashing cost; tests only.
func SetBcryptCostForTests() { bcryptCost = bcrypt.MinCost }

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	return string(h), err
}

// NewUser holds what creating a user needs.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	Role        Role
	Lang        string
	Password    string
}

// CreateUser adds a user; ErrConflict when the username is taken.
func (db *DB) CreateUser(ctx context.Context, by int64, nu NewUser) (int64, error) {
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `INSERT INTO users
			(username, display_name, email, password_hash, role, lang, active, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			nu.Username, nu.DisplayName, nu.Email, hash, nu.Role, nu.Lang, now, nullInt(by), now, nullInt(by))
		if err != nil {
			if isUniqueViolation(err) {
				return ErrConflict
			}
			return err
		}
		id, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "user", id, "create", []Change{
			{Field: "username", New: nu.Username}, {Field: "role", New: string(nu.Role)},
		})
	})
	return id, err
}

// UpdateUser changes a user's name, e-mail, role and active flag. Disabling a
// user ends their sessions.
func (db *DB) UpdateUser(ctx context.Context, by int64, u User) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, u.ID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET display_name = ?, email = ?, role = ?, active = ?,
			updated_at = ?, updated_by = ? WHERE id = ?`,
			u.DisplayName, u.Email, u.Role, u.Active, db.nowStamp(), nullInt(by), u.ID)
		if err != nil {
			return err
		}
		if !u.Active {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				return err
			}
		}
		if err := checkAnAdminLeft(ctx, tx); err != nil {
			return err
		}
		changes := diff([]fieldPair{
			{"display_name", old.DisplayName, u.DisplayName},
			{"email", old.Email, u.Email},
			{"role", string(old.Role), string(u.Role)},
			{"active", boolText(old.Active), boolText(u.Active)},
		})
		return recordAudit(ctx, tx, db.nowStamp(), by, "user", u.ID, "update", changes)
	})
}

// SetUserLang stores a user's language ("" follows the browser).
func (db *DB) SetUserLang(ctx context.Context, id int64, lang string) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE users SET lang = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
		lang, db.nowStamp(), id, id)
	return err
}

// SetPassword replaces a user's password and ends all of their sessions
// except keepSession (the one that made the change, if any).
func (db *DB) SetPassword(ctx context.Context, by, userID int64, pw, keepSession string) error {
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			hash, db.nowStamp(), nullInt(by), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepSession); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "user", userID, "password", nil)
	})
}

// dummyHash is compared against when the username is unknown, so a login
// takes as long for a missing user as for a wrong password: it is made at
// the cost real hashes have (it was made at the lowest cost, 17 ms against
// 230 ms, which told unknown users apart).
func dummyHash() []byte {
	dummyMu.Lock()
	defer dummyMu.Unlock()
	if dummy == nil || dummyCost != bcryptCost {
		dummy, _ = bcrypt.GenerateFromPassword([]byte("keyuan-dummy"), bcryptCost)
		dummyCost = bcryptCost
	}
	return dummy
}

var (
	dummyMu   sync.Mutex
	dummy     []byte
	dummyCost int
)

// Authenticate returns the active user with that username and password.
func (db *DB) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var id int64
	var hash string
	var active bool
	err := db.Read.QueryRowContext(ctx, `SELECT id, password_hash, active FROM users WHERE username = ?`,
		strings.TrimSpace(username)).Scan(&id, &hash, &active)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !active {
		return nil, ErrNotFound
	}
	return db.UserByID(ctx, id)
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// EnsureAdmin creates the account "admin" when there are no users yet. It
// returns the password it set ("" when nothing was created). A password
// given (KEYUAN_ADMIN_PASSWORD) must pass the password policy.
func (db *DB) EnsureAdmin(ctx context.Context, password string) (string, error) {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if password == "" {
		password = RandomToken(12)
	} else if key := CheckPassword(password, "admin"); key != "" {
		return "", fmt.Errorf("the password for admin (KEYUAN_ADMIN_PASSWORD) is refused: %w", PasswordError(key))
	}
	_, err = db.CreateUser(ctx, 0, NewUser{Username: "admin", DisplayName: "系统管理员", Role: RoleAdmin, Password: password})
	if err != nil {
		return "", err
	}
	return password, nil
}

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// UserIDByName is the id of the user with that login name.
func (db *DB) UserIDByName(ctx context.Context, username string) (int64, error) {
	var id int64
	err := db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ?`, strings.TrimSpace(username)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}
