package handlers

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// Teams (销售一部, 华东团队) and the roles' permission matrix: admin pages
// under the basic settings.

type teamsData struct {
	Teams []models.Team
}

func (s *Server) teamsPage(c *gin.Context) {
	teams, err := s.db.Teams(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/teams", s.newPage(c, s.t(c, "team.title"), "settings", &teamsData{Teams: teams}))
}

type teamFormData struct {
	Team  models.Team
	Users []models.User
	New   bool
}

// IsMember reports whether user id is ticked as a member.
func (d *teamFormData) IsMember(id int64) bool { return slices.Contains(d.Team.MemberIDs, id) }

func (s *Server) renderTeamForm(c *gin.Context, status int, t models.Team, errs fieldErrors) {
	users, err := s.db.ActiveUsersByRole(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	title := s.t(c, "team.new")
	if t.ID != 0 {
		title = s.t(c, "team.edit", t.Name)
	}
	s.renderForm(c, status, "admin/team_form", errs, title, "settings", &teamFormData{Team: t, Users: users, New: t.ID == 0})
}

func (s *Server) newTeam(c *gin.Context) { s.renderTeamForm(c, http.StatusOK, models.Team{}, nil) }

func (s *Server) editTeam(c *gin.Context) {
	t, _, ok := loadShared(s, c, s.db.GetTeam)
	if !ok {
		return
	}
	s.renderTeamForm(c, http.StatusOK, *t, nil)
}

// saveTeam creates (POST /admin/teams) or changes (POST /admin/teams/:id)
// a team.
func (s *Server) saveTeam(c *gin.Context) {
	t := models.Team{Name: truncate(c.PostForm("name"), 200), SupervisorID: formID(c.PostForm("leader"))}
	if c.Param("id") != "" {
		if _, id, ok := loadShared(s, c, s.db.GetTeam); ok {
			t.ID = id
		} else {
			return
		}
	}
	for _, v := range c.PostFormArray("member") {
		if id := formID(v); id != 0 && !slices.Contains(t.MemberIDs, id) {
			t.MemberIDs = append(t.MemberIDs, id)
		}
	}
	err := s.db.SaveTeam(c.Request.Context(), actor(c).ID, &t)
	var errs models.FieldErrors
	if errors.As(err, &errs) {
		s.renderTeamForm(c, http.StatusUnprocessableEntity, t, errs)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/admin/teams")
}

func (s *Server) deleteTeam(c *gin.Context) {
	_, id, ok := loadShared(s, c, s.db.GetTeam)
	if !ok {
		return
	}
	if err := s.db.DeleteTeam(c.Request.Context(), actor(c).ID, id); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.deleted")
	redirect(c, "/admin/teams")
}

type rolesData struct {
	Roles  []models.RoleDef
	Matrix []models.MatrixRow
}

// Summary is how far a role reaches in a module, for the overview: its
// scope when it sees the module, "on" for one without a scope, "" for none.
func (d *rolesData) Summary(r models.RoleDef, row models.MatrixRow) string {
	for _, a := range row.Actions {
		if r.Can(models.Perm(row.Module, a)) {
			if row.Scoped && r.Can(models.Perm(row.Module, models.ActSee)) {
				return string(r.Scope(row.Module))
			}
			return "on"
		}
	}
	return ""
}

func (s *Server) rolesPage(c *gin.Context) {
	s.render(c, http.StatusOK, "admin/roles", s.newPage(c, s.t(c, "roles.title"), "settings",
		&rolesData{Roles: s.db.RoleDefs(), Matrix: models.Matrix}))
}

type roleFormData struct {
	Role    models.RoleDef
	Matrix  []models.MatrixRow
	Actions []models.Action
	Scopes  []models.Scope
}

// Has reports whether the role has module m's action a (the ticked boxes).
func (d *roleFormData) Has(m models.Module, a models.Action) bool {
	return d.Role.Can(models.Perm(m, a))
}

// Cell reports whether the matrix has the cell (an empty box otherwise).
func (d *roleFormData) Cell(r models.MatrixRow, a models.Action) bool { return r.Has(a) }

func (s *Server) renderRoleForm(c *gin.Context, status int, d models.RoleDef, errs fieldErrors) {
	s.renderForm(c, status, "admin/role_form", errs, s.t(c, "roles.edit"), "settings",
		&roleFormData{Role: d, Matrix: models.Matrix, Actions: models.Actions, Scopes: models.Scopes})
}

// roleFor loads the role named in the path; a 404 for an unknown one.
func (s *Server) roleFor(c *gin.Context) (models.RoleDef, bool) {
	d, err := s.db.RoleDef(models.Role(c.Param("key")))
	if err != nil {
		s.notFound(c)
		return d, false
	}
	return d, true
}

func (s *Server) editRole(c *gin.Context) {
	if d, ok := s.roleFor(c); ok {
		s.renderRoleForm(c, http.StatusOK, d, nil)
	}
}

// roleFromForm reads the matrix's ticked cells and the scopes. A cell or a
// scope the matrix does not have is ignored, never stored.
func roleFromForm(c *gin.Context, d models.RoleDef) models.RoleDef {
	d.Name = truncate(c.PostForm("name"), 200)
	d.Perms = nil
	for _, v := range c.PostFormArray("perm") {
		if p, err := models.ParsePermission(v); err == nil && !slices.Contains(d.Perms, p) {
			d.Perms = append(d.Perms, p)
		}
	}
	d.Scopes = map[models.Module]models.Scope{}
	for _, m := range models.ScopedModules() {
		if sc := models.Scope(c.PostForm("scope_" + string(m))); sc.Valid() {
			d.Scopes[m] = sc
		}
	}
	return d
}

func (s *Server) saveRole(c *gin.Context) {
	old, ok := s.roleFor(c)
	if !ok {
		return
	}
	d := roleFromForm(c, old)
	err := s.db.SaveRole(c.Request.Context(), actor(c).ID, d)
	var errs models.FieldErrors
	switch {
	case errors.As(err, &errs):
		s.renderRoleForm(c, http.StatusUnprocessableEntity, d, errs)
	case errors.Is(err, models.ErrLastAdmin):
		s.renderRoleForm(c, http.StatusUnprocessableEntity, d, fieldErrors{"permissions": "users.last_admin"})
	case err != nil:
		s.fail(c, err)
	default:
		s.saved(c, "/admin/roles")
	}
}

func (s *Server) resetRole(c *gin.Context) {
	d, ok := s.roleFor(c)
	if !ok {
		return
	}
	if !d.Builtin {
		s.notFound(c)
		return
	}
	err := s.db.ResetRole(c.Request.Context(), actor(c).ID, d.Key)
	if errors.Is(err, models.ErrLastAdmin) {
		s.renderRoleForm(c, http.StatusUnprocessableEntity, d, fieldErrors{"permissions": "users.last_admin"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "roles.reset_done")
	redirect(c, "/admin/roles/"+string(d.Key))
}

// copyRole makes a custom role from this one's matrix.
func (s *Server) copyRole(c *gin.Context) {
	d, ok := s.roleFor(c)
	if !ok {
		return
	}
	key, err := s.db.CopyRole(c.Request.Context(), actor(c).ID, d.Key, truncate(c.PostForm("copy_name"), 200))
	var errs models.FieldErrors
	if errors.As(err, &errs) {
		s.renderRoleForm(c, http.StatusUnprocessableEntity, d, fieldErrors{"copy_name": errs["name"]})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/admin/roles/"+string(key))
}

func (s *Server) deleteRole(c *gin.Context) {
	d, ok := s.roleFor(c)
	if !ok {
		return
	}
	err := s.db.DeleteRole(c.Request.Context(), actor(c).ID, d.Key)
	if errors.Is(err, models.ErrInUse) {
		s.renderRoleForm(c, http.StatusUnprocessableEntity, d, fieldErrors{"name": "roles.in_use"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.deleted")
	redirect(c, "/admin/roles")
}
