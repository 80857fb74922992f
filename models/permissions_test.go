package models

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPermissionTable pins the table to SPEC.md "Roles": a change to who may
// do what must be made here on purpose.
func TestPermissionTable(t *testing.T) {
	want := map[Permission]string{ // roles that have it: a=admin m=manager s=sales v=service
		PermCustomersSeeAll:  "amv",
		PermCustomersEdit:    "ams",
		PermCustomersCreate:       "ams",
		PermActivitiesSee:    "ams",
		PermActivitiesSeeAll: "amv",
		PermServiceEdit:    "amv",
		PermCampaignsSee:     "ams",
		PermCampaignsSeeAll:  "am",
		PermTeamManage:       "am",
		PermReportsManage:       "a",
		PermSettingsManage:       "a",
		PermSettingsManage:        "a",
		PermSettingsManage:    "a",
		PermHomeMyPlans:      "s",
	}
	letter := map[Role]string{RoleAdmin: "a", RoleManager: "m", RoleSales: "s", RoleService: "v"}
	if len(want) != len(Permissions) {
		t.Fatalf("%d permissions, %d in the expectation", len(Permissions), len(want))
	}
	for _, p := range Permissions {
		var got string
		for _, r := range RolesWith(p) {
			got += letter[r]
		}
		if got != want[p] {
			t.Errorf("%s: roles %q, want %q", p, got, want[p])
		}
	}
	if _, err := ParsePermission("customers.delete_everything"); err == nil {
		t.Error("an unknown permission name was accepted")
	}
	if (Role("intruder")).Can(PermCustomersEdit) {
		t.Error("an unknown role has a permission")
	}
}

// TestNoRoleNamesOutsideTheTable: the templates and handlers ask the table
// (can / Actor.Can / require); comparing role names there is how rules
// drifted apart before.
func TestNoRoleNamesOutsideTheTable(t *testing.T) {
	patterns := map[string]*regexp.Regexp{
		"../views/templates": regexp.MustCompile(`"(admin|manager|sales|service)"`),
		"../handlers":        regexp.MustCompile(`Role (==|!=) |(==|!=) models\.Role[A-Z]|requireRole`),
		"../jobs":            regexp.MustCompile(`Role (==|!=) |(==|!=) models\.Role[A-Z]`),
	}
	for dir, re := range patterns {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(b), "\n") {
				if re.MatchString(line) {
					t.Errorf("%s:%d compares a role: %s", path, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
