-- keyuan:foreign-keys-off
-- Teams and editable roles (issue 16). The first line asks the migrator to
-- run this file with foreign keys off (and to check them before it
-- commits): users is rebuilt to drop its CHECK on the four old role names,
-- and dropping a parent table with foreign keys on would first delete its
-- rows, and with them every session and every record's owner.

-- Roles are data: the six defaults are seeded by the program (models.
-- DefaultRoles), an admin changes them or adds copies. permissions is the
-- role's cells of the matrix, space-separated ("customers.see customers.edit");
-- scopes is "module=scope" pairs ("customers=team activities=own").
CREATE TABLE roles (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    builtin     INTEGER NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- A team (销售一部, 华东团队): one supervisor, who leads only this team, and
-- its members (users.team_id), each in one team at most.
CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    supervisor_id INTEGER UNIQUE REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE users_new (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name   TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role <> ''),
    lang           TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'zh', 'en')),
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    created_by     INTEGER,
    updated_at     TEXT NOT NULL,
    updated_by     INTEGER,
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    team_id        INTEGER REFERENCES teams(id) ON DELETE SET NULL
);
-- The old "manager" (who saw everything) is the general manager (总经理)
-- and "sales" the salesperson (销售人员): their keys stay, so nothing else
-- needs rewriting; a salesperson starts in no team and sees their own.
INSERT INTO users_new (id, username, display_name, email, password_hash, role, lang, active, created_at,
    created_by, updated_at, updated_by, totp_secret, totp_last_step)
SELECT id, username, display_name, email, password_hash, role, lang, active, created_at,
    created_by, updated_at, updated_by, totp_secret, totp_last_step FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_team ON users(team_id) WHERE team_id IS NOT NULL;

-- Report users by role: any role now, not the three old names.
CREATE TABLE report_roles_new (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    PRIMARY KEY (report_id, role)
) WITHOUT ROWID;
INSERT INTO report_roles_new SELECT report_id, role FROM report_roles;
DROP TABLE report_roles;
ALTER TABLE report_roles_new RENAME TO report_roles;

-- The sales director and the supervisor open what the old manager opened
-- (every built-in analysis); their row rules decide what each one shows.
INSERT OR IGNORE INTO report_roles (report_id, role)
    SELECT report_id, 'director' FROM report_roles WHERE role = 'manager'
    UNION ALL
    SELECT report_id, 'supervisor' FROM report_roles WHERE role = 'manager';
