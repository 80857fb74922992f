package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyuan/models"
)

func TestCreateUserThroughForm(t *testing.T) {
	app := newTestApp(t)
	admin := app.login("admin")
	res := admin.post("/admin/users", url.Values{"username": {"li.na"}, "display_name": {"李娜"}, "email": {"lina@example.com"},
		"role": {"sales"}, "password": {"first-password"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/users" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if list := admin.get("/admin/users"); !strings.Contains(list.Body, "li.na") || !strings.Contains(list.Body, "销售人员") {
		t.Error("the new user is not listed with its role")
	}
	c := app.anon()
	if r := c.post("/login", url.Values{"username": {"li.na"}, "password": {"first-password"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new user cannot log in: %d", r.StatusCode)
	}
	if r := c.get("/settings"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a salesperson on settings: %d", r.StatusCode)
	}
}

func TestUserFormValidation(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("sales1", models.RoleSales)
	admin := app.login("admin")
	valid := url.Values{"username": {"wang.qiang"}, "display_name": {"王强"}, "email": {"wq@example.com"}, "role": {"sales"}, "password": {"long-enough"}}
	edit := "/admin/users/" + id64(id)
	tests := []struct {
		name, path string
		set        url.Values
		field, msg string
		kept       []string
	}{
		{"username missing", "/admin/users", url.Values{"username": {""}}, "username", "必填", []string{inputValue("display_name", "王强")}},
		{"username with spaces", "/admin/users", url.Values{"username": {"wang qiang"}}, "username", "用户名只能包含字母",
			[]string{inputValue("username", "wang qiang"), inputValue("email", "wq@example.com")}},
		{"username in Chinese", "/admin/users", url.Values{"username": {"王强"}}, "username", "用户名只能包含字母", []string{inputValue("username", "王强")}},
		{"username taken (other case)", "/admin/users", url.Values{"username": {"SALES1"}}, "username", "该用户名已被使用", []string{inputValue("username", "SALES1")}},
		{"display name missing", "/admin/users", url.Values{"display_name": {""}}, "display_name", "必填", []string{inputValue("username", "wang.qiang")}},
		{"bad e-mail", "/admin/users", url.Values{"email": {"wq-at-example"}}, "email", "请输入有效的电子邮箱",
			[]string{inputValue("email", "wq-at-example"), inputValue("display_name", "王强")}},
		{"unknown role", "/admin/users", url.Values{"role": {"god"}}, "role", "请选择列表中的选项", nil},
		{"short password", "/admin/users", url.Values{"password": {"short"}}, "password", "密码至少 10 个字符", []string{inputValue("username", "wang.qiang")}},
		{"password over 72 bytes", "/admin/users", url.Values{"password": {strings.Repeat("密", 25)}}, "password", "密码最多 72 个字节", nil},
		{"edit: bad e-mail", edit, url.Values{"email": {"nope"}}, "email", "请输入有效的电子邮箱", []string{inputValue("email", "nope")}},
		{"edit: unknown role", edit, url.Values{"role": {"owner"}}, "role", "请选择列表中的选项", []string{inputValue("display_name", "王强")}},
		{"reset: short password", edit + "/password", url.Values{"password": {"123456789"}}, "password", "密码至少 10 个字符", nil},
		{"common password", "/admin/users", url.Values{"password": {"1qaz2wsx3edc"}}, "password", "这是最常见的密码之一", nil},
		{"common password with a year", "/admin/users", url.Values{"password": {"woaini1314!2026"}}, "password", "这是最常见的密码之一", nil},
		{"password holding the username", "/admin/users", url.Values{"password": {"Wang.Qiang-2026"}}, "password", "密码不能包含用户名", nil},
		{"reset: common password", edit + "/password", url.Values{"password": {"qwertyuiop"}}, "password", "这是最常见的密码之一", nil},
		{"admin demoting self", "/admin/users/1", url.Values{"role": {"sales"}, "active": {"1"}}, "role", "不能取消自己的管理员身份", nil},
		{"admin disabling self", "/admin/users/1", url.Values{"role": {"admin"}}, "role", "不能取消自己的管理员身份", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := overlay(valid, tt.set)
			form.Set("active", "1")
			if tt.name == "admin disabling self" {
				form.Del("active")
			}
			res := admin.postRefused(t, tt.path, form, tt.field, tt.msg, tt.kept)
			if strings.Contains(res.Body, "long-enough") {
				t.Error("the password is echoed back")
			}
		})
	}
}

func TestEditUser(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("sales1", models.RoleSales)
	admin := app.login("admin")
	res := admin.post("/admin/users/"+id64(id), url.Values{"display_name": {"新名字"}, "email": {"s1@example.com"}, "role": {"manager"}, "active": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", res.StatusCode)
	}
	u, err := app.db.UserByID(t.Context(), id)
	if err != nil || u.DisplayName != "新名字" || u.Role != models.RoleManager || !u.Active || u.Username != "sales1" {
		t.Errorf("user %+v %v", u, err)
	}
	form := admin.get("/admin/users/" + id64(id) + "/edit")
	if !strings.Contains(form.Body, inputValue("display_name", "新名字")) || !strings.Contains(form.Body, `value="manager" selected`) {
		t.Error("the edit form does not show the user")
	}
}

func TestProfilePasswordValidation(t *testing.T) {
	app := newTestApp(t)
	app.addUser("sales1", models.RoleSales)
	c := app.login("sales1")
	tests := []struct {
		name                     string
		current, password, again string
		field, msg               string
	}{
		{"wrong current password", "not-my-password", "new-password-1", "new-password-1", "current", "当前密码不正确"},
		{"short new password", testPassword, "short", "short", "password", "密码至少 10 个字符"},
		{"common new password", testPassword, "password1234", "password1234", "password", "这是最常见的密码之一"},
		{"new password holding the username", testPassword, "my-sales1-pass", "my-sales1-pass", "password", "密码不能包含用户名"},
		{"new passwords differ", testPassword, "new-password-1", "new-password-2", "confirm", "两次输入的新密码不一致"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"current": {tt.current}, "password": {tt.password}, "confirm": {tt.again}}
			res := c.postRefused(t, "/profile/password", form, tt.field, tt.msg, nil)
			for _, pw := range []string{tt.current, tt.password, tt.again} {
				if strings.Contains(res.Body, `value="`+pw+`"`) {
					t.Errorf("a password (%q) is echoed back", pw)
				}
			}
		})
	}
	t.Run("in English", func(t *testing.T) {
		if r := c.post("/profile/lang", url.Values{"lang": {"en"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatal(r.StatusCode)
		}
		res := c.post("/profile/password", url.Values{"current": {"x"}, "password": {"new-password-1"}, "confirm": {"new-password-2"}})
		if !strings.Contains(res.Body, fieldError("current", "The current password is wrong")) ||
			!strings.Contains(res.Body, fieldError("confirm", "The two new passwords differ")) {
			t.Error("English messages missing")
		}
	})
}

func TestProfileLanguage(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	tests := []struct {
		lang   string
		status int
		page   string // text of the profile page afterwards
	}{
		{"en", http.StatusSeeOther, "My profile"},
		{"zh", http.StatusSeeOther, "个人设置"},
		{"", http.StatusSeeOther, "个人设置"}, // follows the browser, which sends nothing
		{"fr", http.StatusBadRequest, "个人设置"},
		{"en'--", http.StatusBadRequest, "个人设置"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			res := c.post("/profile/lang", url.Values{"lang": {tt.lang}})
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if p := c.get("/profile"); !strings.Contains(p.Body, tt.page) {
				t.Errorf("profile page is not in the expected language (%s)", tt.page)
			}
		})
	}
	t.Run("empty follows Accept-Language", func(t *testing.T) {
		if p := c.get("/profile", "Accept-Language", "en-GB,en;q=0.8"); !strings.Contains(p.Body, "My profile") {
			t.Error("not English")
		}
	})
}
