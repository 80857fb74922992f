package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

type userFormData struct {
	User  models.User
	Roles []models.Role
	New   bool
}

type usersData struct {
	Users []models.User
	Teams map[int64]string // team id → name, for the team column
	Leads map[int64]string // supervisor's id → the team they lead
}

func (s *Server) users(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := s.db.Users(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	teams, err := s.db.Teams(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &usersData{Users: list, Teams: map[int64]string{}, Leads: map[int64]string{}}
	for _, t := range teams {
		data.Teams[t.ID] = t.Name
		if t.SupervisorID != 0 {
			data.Leads[t.SupervisorID] = t.Name
		}
	}
	s.render(c, http.StatusOK, "admin/users", s.newPage(c, s.t(c, "users.title"), "settings", data))
}

func (s *Server) renderUserForm(c *gin.Context, status int, u models.User, isNew bool, errs fieldErrors) {
	title := s.t(c, "users.new")
	if !isNew {
		title = s.t(c, "users.edit", u.DisplayName)
	}
	s.renderForm(c, status, "admin/user_form", errs, title, "settings", &userFormData{User: u, Roles: s.db.RoleKeys(), New: isNew})
}

func (s *Server) newUser(c *gin.Context) {
	s.renderUserForm(c, http.StatusOK, models.User{Role: models.RoleSales, Active: true}, true, nil)
}

func userFrom(c *gin.Context) models.User {
	return models.User{
		Username:    strings.TrimSpace(c.PostForm("username")),
		DisplayName: strings.TrimSpace(c.PostForm("display_name")),
		Email:       strings.TrimSpace(c.PostForm("email")),
		Role:        models.Role(c.PostForm("role")),
		Active:      c.PostForm("active") == "1",
	}
}

func (s *Server) createUser(c *gin.Context) {
	u := userFrom(c)
	u.Active = true
	nu := models.NewUser{Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role,
		Password: c.PostForm("password")}
	errs := nu.Validate()
	s.db.CheckUserRole(nu.Role, errs)
	if errs.Any() {
		s.renderUserForm(c, http.StatusUnprocessableEntity, u, true, errs)
		return
	}
	id, err := s.db.CreateUser(c.Request.Context(), actor(c).ID, nu)
	if errors.Is(err, models.ErrConflict) {
		s.renderUserForm(c, http.StatusUnprocessableEntity, u, true, fieldErrors{"username": "users.username_taken"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logEvent(c, models.SecurityEvent{Kind: models.EventUserCreated, UserID: id, Username: nu.Username,
		ByID: actor(c).ID, Detail: string(nu.Role)})
	s.saved(c, "/admin/users")
}

func (s *Server) editUser(c *gin.Context) {
	u, _, ok := loadShared(s, c, s.db.UserByID)
	if !ok {
		return
	}
	s.renderUserForm(c, http.StatusOK, *u, false, nil)
}

func (s *Server) updateUser(c *gin.Context) {
	old, id, ok := loadShared(s, c, s.db.UserByID)
	if !ok {
		return
	}
	u := userFrom(c)
	u.ID, u.Username = id, old.Username
	errs := u.Validate()
	s.db.CheckUserRole(u.Role, errs)
	// An admin cannot lock themself out by demoting or disabling their own account.
	if id == actor(c).ID && (!s.db.RoleCan(u.Role, models.PermSettingsManage) || !u.Active) {
		errs["role"] = "users.cannot_demote_self"
	}
	if errs.Any() {
		s.renderUserForm(c, http.StatusUnprocessableEntity, u, false, errs)
		return
	}
	err := s.db.UpdateUser(c.Request.Context(), actor(c).ID, u)
	if errors.Is(err, models.ErrLastAdmin) {
		s.renderUserForm(c, http.StatusUnprocessableEntity, u, false, fieldErrors{"role": "users.last_admin"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logAccountChanges(c, old, &u)
	s.saved(c, "/admin/users")
}

func (s *Server) resetPassword(c *gin.Context) {
	u, id, ok := loadShared(s, c, s.db.UserByID)
	if !ok {
		return
	}
	pw := c.PostForm("password")
	if key := models.CheckPassword(pw, u.Username); key != "" {
		s.renderUserForm(c, http.StatusUnprocessableEntity, *u, false, fieldErrors{"password": key})
		return
	}
	keep := ""
	if id == actor(c).ID {
		keep = sessionID(c)
	}
	if err := s.db.SetPassword(c.Request.Context(), actor(c).ID, id, pw, keep); err != nil {
		s.fail(c, err)
		return
	}
	s.logEvent(c, models.SecurityEvent{Kind: models.EventPasswordReset, UserID: id, Username: u.Username, ByID: actor(c).ID})
	s.flash(c, "users.password_reset")
	redirect(c, "/admin/users")
}

// Profile: each user's own password and language.

// logAccountChanges writes an admin's changes to a role or to an account's
// being active to the security log.
func (s *Server) logAccountChanges(c *gin.Context, old, u *models.User) {
	for _, e := range models.AccountEvents(old, u, actor(c).ID) {
		s.logEvent(c, e)
	}
}

type profileData struct {
	Languages  []string
	Logins     []models.SecurityEvent // the latest logins, failed ones too
	CodesLeft  int                    // unused recovery codes
	Require2FA bool
}

func (s *Server) profile(c *gin.Context) { s.renderProfile(c, http.StatusOK, nil) }

// renderProfile writes the profile page with the field errors of one of its
// forms.
func (s *Server) renderProfile(c *gin.Context, status int, errs fieldErrors) {
	ctx := c.Request.Context()
	u := currentUser(c)
	data := &profileData{Languages: views.Languages}
	var err error
	if data.Logins, err = s.db.LoginHistory(ctx, u.ID, 20); err != nil {
		s.fail(c, err)
		return
	}
	if u.TwoFactor {
		if data.CodesLeft, err = s.db.RecoveryCodesLeft(ctx, u.ID); err != nil {
			s.fail(c, err)
			return
		}
	} else if s.db.RoleMustUseTwoFactor(u.Role) {
		data.Require2FA = s.twoFactorRequired(c)
	}
	s.renderForm(c, status, "profile", errs, s.t(c, "profile.title"), "", data)
}

func (s *Server) changeOwnPassword(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	errs := fieldErrors{}
	// The current password is guessed like a login's: the same throttle.
	ip := s.cfg.TrustedProxies.ClientIP(c.Request)
	if s.throttle.blocked(u.Username, ip) {
		s.renderProfile(c, http.StatusTooManyRequests, fieldErrors{"current": "login.throttled"})
		return
	}
	if _, err := s.db.Authenticate(ctx, u.Username, c.PostForm("current")); err != nil {
		s.throttle.fail(u.Username, ip)
		errs["current"] = "profile.wrong_password"
	}
	pw := c.PostForm("password")
	if key := models.CheckPassword(pw, u.Username); key != "" {
		errs["password"] = key
	} else if pw != c.PostForm("confirm") {
		errs["confirm"] = "profile.mismatch"
	}
	if errs.Any() {
		s.renderProfile(c, http.StatusUnprocessableEntity, errs)
		return
	}
	if err := s.db.SetPassword(ctx, u.ID, u.ID, pw, sessionID(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.logEvent(c, models.SecurityEvent{Kind: models.EventPasswordChanged, UserID: u.ID, Username: u.Username})
	s.flash(c, "profile.password_changed")
	redirect(c, "/profile")
}

func (s *Server) changeOwnLang(c *gin.Context) {
	lang := c.PostForm("lang")
	if lang != "" && !views.ValidLanguage(lang) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	if err := s.db.SetUserLang(c.Request.Context(), currentUser(c).ID, lang); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/profile")
}
