package models

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPermissionTable pins the default roles to the README's roles table: a
// change to who may do what must be made here on purpose.
func TestPermissionTable(t *testing.T) {
	// The roles that have each cell: a=admin g=general manager d=sales
	// director s=supervisor p=salesperson v=service.
	want := map[Permission]string{
		PermCustomersSee: "agdspv", PermCustomersCreate: "agdsp", PermCustomersEdit: "agdsp",
		PermCustomersDelete: "agdsp", PermCustomersExport: "agdspv", PermCustomersImport: "agdsp",
		PermCustomersManage: "agds",
		PermActivitiesSee:   "agdsp", PermActivitiesCreate: "agdsp", PermActivitiesEdit: "agdsp",
		PermActivitiesDelete: "agdsp", PermActivitiesExport: "agdsp", PermActivitiesManage: "agds",
		PermServiceSee: "agdspv", PermServiceCreate: "agdspv", PermServiceEdit: "agv", PermServiceDelete: "agv",
		PermServiceExport: "agdspv", PermServiceManage: "agd",
		PermCampaignsSee: "agdsp", PermCampaignsCreate: "agdsp", PermCampaignsEdit: "agdsp",
		PermCampaignsDelete: "agdsp", PermCampaignsExport: "agdsp",
		PermReportsSee: "agdspv", PermReportsExport: "agdspv", PermReportsManage: "a",
		PermSettingsManage: "a",
	}
	letter := map[Role]string{RoleAdmin: "a", RoleManager: "g", RoleDirector: "d", RoleSupervisor: "s",
		RoleSales: "p", RoleService: "v"}
	if len(want) != len(Permissions) {
		t.Fatalf("%d permissions, %d in the expectation", len(Permissions), len(want))
	}
	for _, p := range Permissions {
		var got string
		for _, d := range DefaultRoles() {
			if d.Can(p) {
				got += letter[d.Key]
			}
		}
		if got != want[p] {
			t.Errorf("%s: roles %q, want %q", p, got, want[p])
		}
	}
	wantScopes := map[Role]string{
		RoleAdmin:      "customers=all activities=all service=all campaigns=all reports=all",
		RoleManager:    "customers=all activities=all service=all campaigns=all reports=all",
		RoleDirector:   "customers=all activities=all service=all campaigns=all reports=all",
		RoleSupervisor: "customers=team activities=team service=team campaigns=team reports=team",
		RoleSales:      "customers=own activities=own service=own campaigns=own reports=own",
		RoleService:    "customers=all activities=own service=all campaigns=own reports=own",
	}
	for _, d := range DefaultRoles() {
		if got := formatScopes(d.Scopes); got != wantScopes[d.Key] {
			t.Errorf("%s scopes %q, want %q", d.Key, got, wantScopes[d.Key])
		}
	}
	if _, err := ParsePermission("customers.delete_everything"); err == nil {
		t.Error("an unknown permission name was accepted")
	}
	if (Actor{ID: 1, Role: "intruder"}).Can(PermCustomersSee) {
		t.Error("an unknown role has a permission")
	}
}

// TestNoRoleNamesOutsideTheTable: the templates and handlers ask the table
// (can / Actor.Can / require); comparing role names there is how rules
// drifted apart before.
func TestNoRoleNamesOutsideTheTable(t *testing.T) {
	patterns := map[string]*regexp.Regexp{
		"../views/templates": regexp.MustCompile(`"(admin|manager|director|supervisor|sales|service)"`),
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
