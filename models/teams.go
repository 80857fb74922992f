package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Team is a sales team (销售一部, 华东团队): a supervisor who leads it and
// its members. A user leads one team at most and belongs to one at most.
type Team struct {
	ID           int64
	Name         string
	SupervisorID int64
	Supervisor   string // display name
	Members      []User
	MemberIDs    []int64 // as submitted by the form
}

// TeamNameMaxLen limits a team's name.
const TeamNameMaxLen = 40

// Validate checks a team's own fields.
func (t *Team) Validate() FieldErrors {
	errs := FieldErrors{}
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		errs["name"] = "validation.required"
	case TooLong(t.Name, TeamNameMaxLen):
		errs["name"] = "validation.too_long"
	}
	return errs
}

// Teams lists the teams by name, with their supervisors and members.
func (db *DB) Teams(ctx context.Context) ([]Team, error) {
	teams, err := queryList(ctx, db.Read, `SELECT t.id, t.name, COALESCE(t.supervisor_id, 0), COALESCE(u.display_name, '')
		FROM teams t LEFT JOIN users u ON u.id = t.supervisor_id ORDER BY t.name, t.id`, nil,
		func(r rowScanner) (*Team, error) {
			var t Team
			err := r.Scan(&t.ID, &t.Name, &t.SupervisorID, &t.Supervisor)
			return &t, err
		})
	if err != nil {
		return nil, err
	}
	users, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	for i := range teams {
		for _, u := range users {
			if u.TeamID == teams[i].ID {
				teams[i].Members = append(teams[i].Members, u)
				teams[i].MemberIDs = append(teams[i].MemberIDs, u.ID)
			}
		}
	}
	return teams, nil
}

// GetTeam returns one team; ErrNotFound if there is none.
func (db *DB) GetTeam(ctx context.Context, id int64) (*Team, error) {
	teams, err := db.Teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.ID == id {
			return &t, nil
		}
	}
	return nil, ErrNotFound
}

// SaveTeam creates (ID 0) or changes a team: its name, its supervisor and
// its members (MemberIDs). A member moved here leaves their old team; a
// supervisor who leads another team is refused, as is a name taken.
func (db *DB) SaveTeam(ctx context.Context, by int64, t *Team) error {
	errs := t.Validate()
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	known := map[int64]bool{}
	for _, u := range users {
		known[u.ID] = true
	}
	if t.SupervisorID != 0 && !known[t.SupervisorID] {
		errs["leader"] = "validation.invalid_choice"
	}
	for _, id := range t.MemberIDs {
		if !known[id] {
			errs["members"] = "validation.invalid_choice"
		}
	}
	if len(errs) > 0 {
		return errs
	}
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if t.SupervisorID != 0 {
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM teams WHERE supervisor_id = ? AND id <> ?`, t.SupervisorID, t.ID).Scan(&other)
			if err == nil {
				return FieldErrors{"leader": "team.error.leads_other"}
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		action := "update"
		if t.ID == 0 {
			action = "create"
			res, err := tx.ExecContext(ctx, `INSERT INTO teams (name, supervisor_id, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				t.Name, nullInt(t.SupervisorID), now, now)
			if err != nil {
				return teamConflict(err)
			}
			if t.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE teams SET name = ?, supervisor_id = ?, updated_at = ? WHERE id = ?`,
				t.Name, nullInt(t.SupervisorID), now, t.ID)
			if err != nil {
				return teamConflict(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET team_id = NULL WHERE team_id = ?`, t.ID); err != nil {
			return err
		}
		for _, id := range t.MemberIDs {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET team_id = ? WHERE id = ?`, t.ID, id); err != nil {
				return err
			}
		}
		return recordAudit(ctx, tx, now, by, "team", t.ID, action, []Change{{Field: "name", New: t.Name},
			{Field: "supervisor_id", New: formatID(t.SupervisorID)}, {Field: "members", New: formatIDs(t.MemberIDs)}})
	})
	if err != nil {
		return err
	}
	return db.loadAccess(ctx)
}

// DeleteTeam removes a team; its members are then in no team.
func (db *DB) DeleteTeam(ctx context.Context, by int64, id int64) error {
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "team", id, "delete", nil)
	})
	if err != nil {
		return err
	}
	return db.loadAccess(ctx)
}

// teamMembers are a team's members and its supervisor (nil for team 0; an
// unknown team has none, so its filter shows nothing).
func (db *DB) teamMembers(team int64) []int64 {
	if team == 0 {
		return nil
	}
	return append([]int64{}, db.accessTable().members[team]...)
}

func teamConflict(err error) error {
	if isUniqueViolation(err) {
		return FieldErrors{"name": "validation.taken"}
	}
	return err
}

func formatID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// inIDs is "col IN (0,…ids)", a filter on a team's people: the ids come
// from the database and are inlined; the 0 keeps an empty team valid SQL
// that matches nothing.
func inIDs(col string, ids []int64) string {
	return col + " IN (" + formatIDs(append([]int64{0}, ids...)) + ")"
}

func formatIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}
