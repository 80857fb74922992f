package handlers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pquerna/otp"

	"keyuan/models"
)

// Two-factor login (TOTP, RFC 6238): the second step of a login, setting it
// up and switching it off on the profile page, and an admin's reset.

// challengeCookieName holds the token of a login waiting for its second
// factor; it is sent to /login only.
const challengeCookieName = "keyuan_login2fa"

// challengeCookie is that cookie with token, kept maxAge seconds (-1
// deletes it).
func (s *Server) challengeCookie(c *gin.Context, token string, maxAge int) *http.Cookie {
	opts := s.sessions.options(c.Request)
	return &http.Cookie{Name: challengeCookieName, Value: token, Path: "/login", MaxAge: maxAge, HttpOnly: true,
		Secure: opts.Secure, SameSite: http.SameSiteLaxMode}
}

// loginChallenge finds the login this browser is finishing; ok is false
// when there is none (or it expired), and the browser is sent back to the
// login page.
func (s *Server) loginChallenge(c *gin.Context) (token string, u *models.User, next string, ok bool) {
	token, _ = c.Cookie(challengeCookieName)
	uid, next, err := s.db.LoginChallenge(c.Request.Context(), token)
	if err == nil {
		u, err = s.db.UserByID(c.Request.Context(), uid)
	}
	if errors.Is(err, models.ErrNotFound) || (err == nil && !u.Active) {
		s.flash(c, "twofactor.expired")
		redirect(c, "/login")
		return "", nil, "", false
	}
	if err != nil {
		s.fail(c, err)
		return "", nil, "", false
	}
	return token, u, next, true
}

func (s *Server) loginSecondStepPage(c *gin.Context) {
	if _, _, _, ok := s.loginChallenge(c); ok {
		s.render(c, http.StatusOK, "login_2fa", s.newPage(c, s.t(c, "twofactor.login_title"), "", nil))
	}
}

// loginSecondStep checks the code of the authenticator app, or a recovery
// code, and then starts the session. Codes are throttled like passwords,
// per account and per address.
func (s *Server) loginSecondStep(c *gin.Context) {
	token, u, next, ok := s.loginChallenge(c)
	if !ok {
		return
	}
	ip := s.cfg.TrustedProxies.ClientIP(c.Request)
	p := s.newPage(c, s.t(c, "twofactor.login_title"), "", nil)
	if s.throttle.blocked(u.Username, ip) {
		s.logEvent(c, models.SecurityEvent{Kind: models.EventLoginLocked, UserID: u.ID, Username: u.Username})
		p.Errors = fieldErrors{"code": "login.throttled"}
		s.render(c, http.StatusTooManyRequests, "login_2fa", p)
		return
	}
	recovery, err := s.db.CheckSecondFactor(c.Request.Context(), u.ID, truncate(c.PostForm("code"), 40))
	if errors.Is(err, models.ErrBadCode) {
		s.throttle.fail(u.Username, ip)
		s.logEvent(c, models.SecurityEvent{Kind: models.EventTwoFactorFailed, UserID: u.ID, Username: u.Username})
		p.Errors = fieldErrors{"code": "twofactor.wrong_code"}
		s.render(c, http.StatusUnauthorized, "login_2fa", p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.db.EndLoginChallenge(c.Request.Context(), token); err != nil {
		s.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, s.challengeCookie(c, "", -1))
	s.throttle.succeed(u.Username, ip)
	if recovery {
		s.logEvent(c, models.SecurityEvent{Kind: models.EventRecoveryCodeUsed, UserID: u.ID, Username: u.Username})
		s.flash(c, "twofactor.recovery_used")
	}
	s.logEvent(c, models.SecurityEvent{Kind: models.EventLoginOK, UserID: u.ID, Username: u.Username, Detail: "2fa"})
	s.startSession(c, u, next)
}

type twoFactorSetupData struct {
	Secret string
	QR     template.URL // the QR code as a PNG data URL (made here, so trusted)
	Codes  []string     // the recovery codes, shown once after switching on
}

// twoFactorSetup shows a new secret as a QR code and as text, with the form
// that proves the app holds it.
func (s *Server) twoFactorSetup(c *gin.Context) {
	u := currentUser(c)
	if u.TwoFactor {
		redirect(c, "/profile#twofactor")
		return
	}
	key, err := models.NewTOTPKey(u.Username)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderTwoFactorSetup(c, http.StatusOK, key, nil)
}

func (s *Server) renderTwoFactorSetup(c *gin.Context, status int, key *otp.Key, errs fieldErrors) {
	img, err := key.Image(220, 220)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		s.fail(c, err)
		return
	}
	data := &twoFactorSetupData{Secret: key.Secret(),
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))}
	s.renderForm(c, status, "twofactor_setup", errs, s.t(c, "twofactor.setup_title"), "", data)
}

// enableTwoFactor switches two-factor login on when the code matches the
// secret the page showed, and shows the recovery codes once.
func (s *Server) enableTwoFactor(c *gin.Context) {
	u := currentUser(c)
	secret := strings.ToUpper(strings.TrimSpace(c.PostForm("secret")))
	key, err := models.TOTPKeyOf(u.Username, secret)
	if err != nil {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	codes, err := s.db.EnableTwoFactor(c.Request.Context(), u.ID, secret, c.PostForm("code"), s.eventSource(c))
	if errors.Is(err, models.ErrBadCode) {
		s.renderTwoFactorSetup(c, http.StatusUnprocessableEntity, key, fieldErrors{"code": "twofactor.wrong_code"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "twofactor_codes",
		s.newPage(c, s.t(c, "twofactor.codes_title"), "", &twoFactorSetupData{Codes: codes}))
}

// disableTwoFactor switches it off: the password and a current code (or a
// recovery code) prove it is the user, not someone at their open browser.
func (s *Server) disableTwoFactor(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	ip := s.cfg.TrustedProxies.ClientIP(c.Request)
	errs := fieldErrors{}
	status := http.StatusUnprocessableEntity
	switch {
	case s.throttle.blocked(u.Username, ip):
		errs["disable_password"], status = "login.throttled", http.StatusTooManyRequests
	default:
		if _, err := s.db.Authenticate(ctx, u.Username, c.PostForm("password")); err != nil {
			s.throttle.fail(u.Username, ip)
			errs["disable_password"] = "profile.wrong_password"
		} else if _, err := s.db.CheckSecondFactor(ctx, u.ID, truncate(c.PostForm("code"), 40)); err != nil {
			if !errors.Is(err, models.ErrBadCode) {
				s.fail(c, err)
				return
			}
			s.throttle.fail(u.Username, ip)
			errs["disable_code"] = "twofactor.wrong_code"
		}
	}
	if errs.Any() {
		s.renderProfile(c, status, errs)
		return
	}
	if err := s.db.DisableTwoFactor(ctx, u.ID, u.ID, s.eventSource(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "twofactor.disabled")
	redirect(c, "/profile#twofactor")
}

// resetTwoFactor is an admin's way back in for a user who lost their phone
// and their recovery codes.
func (s *Server) resetTwoFactor(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	err := s.db.DisableTwoFactor(c.Request.Context(), actor(c).ID, id, s.eventSource(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "twofactor.reset_done")
	redirect(c, "/admin/users")
}

// requireTwoFactor keeps an admin or manager without a second factor on
// the setup page while the admin requires one: they may set it up, read
// their profile and sign out, nothing else.
func (s *Server) requireTwoFactor(c *gin.Context) {
	u := currentUser(c)
	if u == nil || u.TwoFactor || !s.db.RoleMustUseTwoFactor(u.Role) || !s.twoFactorRequired(c) {
		c.Next()
		return
	}
	switch c.Request.URL.Path {
	case "/profile", "/profile/2fa", "/logout":
		c.Next()
		return
	}
	s.flash(c, "twofactor.required")
	redirect(c, "/profile/2fa")
	c.Abort()
}

// twoFactorRequired reads the admin's setting (a failure to read it counts
// as required: the safe side).
func (s *Server) twoFactorRequired(c *gin.Context) bool {
	required, err := s.db.TwoFactorRequired(c.Request.Context())
	if err != nil {
		s.log.Error("two-factor setting", "err", err)
		return true
	}
	return required
}
