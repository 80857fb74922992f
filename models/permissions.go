package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Permission is one cell of the permission matrix: an action on a module
// ("customers.edit"). Every rule of who may do what is a cell of a role's
// matrix: the route middleware (Server.require), the handlers, the
// queries' row rules (through the Actor methods) and the templates (the
// "can" function) all ask it, and nothing else compares role names. Roles
// are data (the roles table, editable by an admin); the defaults below
// seed it and are what "reset" restores.
type Permission string

// Module is a row of the matrix: one part of the product.
type Module string

const (
	ModCustomers  Module = "customers"  // 客户、潜在客户、联系人
	ModActivities Module = "activities" // 业务活动: records, plans, calendar, opportunities, competitors
	ModService    Module = "service"    // 服务管理: issues, knowledge base
	ModCampaigns  Module = "campaigns"  // 市场活动
	ModReports    Module = "reports"    // 统计报表 and the digest
	ModSettings   Module = "settings"   // 基础设置: users, teams, roles, mail, jobs, lists
)

// Action is a column of the matrix.
type Action string

const (
	ActSee    Action = "see"
	ActCreate Action = "create"
	ActEdit   Action = "edit"
	ActDelete Action = "delete"
	ActExport Action = "export"
	ActImport Action = "import"
	ActManage Action = "manage"
)

// Actions lists the columns in display order.
var Actions = []Action{ActSee, ActCreate, ActEdit, ActDelete, ActExport, ActImport, ActManage}

// Scope is how far a role's "see" reaches in a module: the records one
// owns, those of one's team, or all.
type Scope string

const (
	ScopeOwn  Scope = "own"
	ScopeTeam Scope = "team"
	ScopeAll  Scope = "all"
)

// Scopes lists the scopes, narrowest first.
var Scopes = []Scope{ScopeOwn, ScopeTeam, ScopeAll}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// MatrixRow is one module of the matrix: the actions that mean something
// there and whether its "see" has a scope.
type MatrixRow struct {
	Module  Module
	Actions []Action
	Scoped  bool
}

// Matrix is the permission matrix's shape. A cell not listed here does not
// exist (there is no "import" of reports).
var Matrix = []MatrixRow{
	{ModCustomers, []Action{ActSee, ActCreate, ActEdit, ActDelete, ActExport, ActImport, ActManage}, true},
	{ModActivities, []Action{ActSee, ActCreate, ActEdit, ActDelete, ActExport, ActManage}, true},
	{ModService, []Action{ActSee, ActCreate, ActEdit, ActDelete, ActExport, ActManage}, true},
	{ModCampaigns, []Action{ActSee, ActCreate, ActEdit, ActDelete, ActExport}, true},
	{ModReports, []Action{ActSee, ActExport, ActManage}, true},
	{ModSettings, []Action{ActManage}, false},
}

// ScopedModules lists the modules whose "see" has a scope.
func ScopedModules() []Module {
	var out []Module
	for _, r := range Matrix {
		if r.Scoped {
			out = append(out, r.Module)
		}
	}
	return out
}

// Has reports whether the matrix has the cell.
func (r MatrixRow) Has(a Action) bool { return slices.Contains(r.Actions, a) }

// Perm names a cell.
func Perm(m Module, a Action) Permission { return Permission(string(m) + "." + string(a)) }

// The cells the code asks by name. What each allows is said where it is
// enforced; the README's roles table says it for people.
var (
	PermCustomersSee    = Perm(ModCustomers, ActSee)
	PermCustomersCreate = Perm(ModCustomers, ActCreate) // also: may own customers and sales records
	PermCustomersEdit   = Perm(ModCustomers, ActEdit)
	PermCustomersDelete = Perm(ModCustomers, ActDelete)
	PermCustomersExport = Perm(ModCustomers, ActExport)
	PermCustomersImport = Perm(ModCustomers, ActImport)
	PermCustomersManage = Perm(ModCustomers, ActManage) // merge duplicates, hand customers to others

	PermActivitiesSee    = Perm(ModActivities, ActSee)
	PermActivitiesCreate = Perm(ModActivities, ActCreate)
	PermActivitiesEdit   = Perm(ModActivities, ActEdit)
	PermActivitiesDelete = Perm(ModActivities, ActDelete)
	PermActivitiesExport = Perm(ModActivities, ActExport)
	PermActivitiesManage = Perm(ModActivities, ActManage) // change the shared competitor list

	PermServiceSee    = Perm(ModService, ActSee)
	PermServiceCreate = Perm(ModService, ActCreate) // register issues (for customers one sees)
	PermServiceEdit   = Perm(ModService, ActEdit)   // handle issues, be an assignee, write articles
	PermServiceDelete = Perm(ModService, ActDelete)
	PermServiceExport = Perm(ModService, ActExport)
	PermServiceManage = Perm(ModService, ActManage) // dispatch issues to others

	PermCampaignsSee    = Perm(ModCampaigns, ActSee)
	PermCampaignsCreate = Perm(ModCampaigns, ActCreate)
	PermCampaignsEdit   = Perm(ModCampaigns, ActEdit)
	PermCampaignsDelete = Perm(ModCampaigns, ActDelete)
	PermCampaignsExport = Perm(ModCampaigns, ActExport)

	PermReportsSee    = Perm(ModReports, ActSee)
	PermReportsExport = Perm(ModReports, ActExport)
	PermReportsManage = Perm(ModReports, ActManage) // open, change and share every report

	PermSettingsManage = Perm(ModSettings, ActManage) // basic settings, users, teams, roles, lists, every import
)

// Permissions lists every cell, in matrix order.
var Permissions = func() []Permission {
	var out []Permission
	for _, r := range Matrix {
		for _, a := range r.Actions {
			out = append(out, Perm(r.Module, a))
		}
	}
	return out
}()

// ParsePermission checks a permission's name (the templates spell them as
// strings): an unknown name is an error, never a silent "no".
func ParsePermission(name string) (Permission, error) {
	p := Permission(name)
	if !slices.Contains(Permissions, p) {
		return "", fmt.Errorf("unknown permission %q", name)
	}
	return p, nil
}

// RoleDef is a role: its matrix and its scopes.
type RoleDef struct {
	Key     Role
	Name    string // a custom role's name; built-in roles are named by the catalog ("role.<key>")
	Builtin bool
	Perms   []Permission
	Scopes  map[Module]Scope
}

// Can reports whether the role has the cell.
func (d *RoleDef) Can(p Permission) bool { return slices.Contains(d.Perms, p) }

// Scope is the role's scope in m (own when unset: the safe default).
func (d *RoleDef) Scope(m Module) Scope {
	if s, ok := d.Scopes[m]; ok {
		return s
	}
	return ScopeOwn
}

// every lists all actions of the modules given, for the defaults below.
func every(mods ...Module) []Permission {
	var out []Permission
	for _, r := range Matrix {
		if slices.Contains(mods, r.Module) {
			for _, a := range r.Actions {
				out = append(out, Perm(r.Module, a))
			}
		}
	}
	return out
}

func scopes(s Scope) map[Module]Scope {
	out := map[Module]Scope{}
	for _, m := range ScopedModules() {
		out[m] = s
	}
	return out
}

// The salesperson's cells, shared by the sales roles above them.
var salesPerms = []Permission{
	PermCustomersSee, PermCustomersCreate, PermCustomersEdit, PermCustomersDelete, PermCustomersExport,
	PermCustomersImport,
	PermActivitiesSee, PermActivitiesCreate, PermActivitiesEdit, PermActivitiesDelete, PermActivitiesExport,
	PermServiceSee, PermServiceCreate, PermServiceExport,
	PermCampaignsSee, PermCampaignsCreate, PermCampaignsEdit, PermCampaignsDelete, PermCampaignsExport,
	PermReportsSee, PermReportsExport,
}

// DefaultRoles are the six roles of the seed ("总经理、销售总监、销售主管、
// 销售人员" and the service and admin roles), in display order. They seed the
// roles table and are what "reset" restores.
func DefaultRoles() []RoleDef {
	return []RoleDef{
		{Key: RoleAdmin, Builtin: true, Perms: every(ModCustomers, ModActivities, ModService, ModCampaigns,
			ModReports, ModSettings), Scopes: scopes(ScopeAll)},
		// 总经理: everything of the business, every team's reports (a
		// colleague's private report stays theirs until shared).
		{Key: RoleManager, Builtin: true, Perms: slices.DeleteFunc(every(ModCustomers, ModActivities, ModService,
			ModCampaigns, ModReports), func(p Permission) bool { return p == PermReportsManage }), Scopes: scopes(ScopeAll)},
		// 销售总监: all sales data; service only to register and read issues.
		{Key: RoleDirector, Builtin: true, Perms: append(slices.Clone(salesPerms), PermCustomersManage,
			PermActivitiesManage, PermServiceManage), Scopes: scopes(ScopeAll)},
		// 销售主管: the team's records.
		{Key: RoleSupervisor, Builtin: true, Perms: append(slices.Clone(salesPerms), PermCustomersManage,
			PermActivitiesManage), Scopes: scopes(ScopeTeam)},
		// 销售人员: their own records.
		{Key: RoleSales, Builtin: true, Perms: slices.Clone(salesPerms), Scopes: scopes(ScopeOwn)},
		// 服务人员: every customer's card (not its sales history), every issue,
		// the knowledge base.
		{Key: RoleService, Builtin: true, Perms: []Permission{PermCustomersSee, PermCustomersExport, PermServiceSee, PermServiceCreate,
			PermServiceEdit, PermServiceDelete, PermServiceExport, PermReportsSee, PermReportsExport},
			Scopes: map[Module]Scope{ModCustomers: ScopeAll, ModService: ScopeAll, ModActivities: ScopeOwn,
				ModCampaigns: ScopeOwn, ModReports: ScopeOwn}},
	}
}

// builtinDefaults are the defaults, built once, for actors made without a
// database (tests, SystemActor).
var builtinDefaults = func() map[Role]*RoleDef {
	out := map[Role]*RoleDef{}
	for _, d := range DefaultRoles() {
		out[d.Key] = &d
	}
	return out
}()

// def is the actor's role: the loaded one, or the built-in default.
func (a Actor) def() *RoleDef {
	if a.role != nil {
		return a.role
	}
	if d := builtinDefaults[a.Role]; d != nil {
		return d
	}
	return &RoleDef{Key: a.Role}
}

// Can reports whether the actor has permission p.
func (a Actor) Can(p Permission) bool { return a.def().Can(p) }

// Scope is the actor's scope in m.
func (a Actor) Scope(m Module) Scope { return a.def().Scope(m) }

// SeesBeyondOwn: the actor sees others' records in m (a team or all), so
// lists offer them a filter by person.
func (a Actor) SeesBeyondOwn(m Module) bool { return a.Scope(m) != ScopeOwn }

// Sees reports whether the actor's scope in m covers a record owned by
// owner.
func (a Actor) Sees(m Module, owner int64) bool {
	switch a.Scope(m) {
	case ScopeAll:
		return true
	case ScopeTeam:
		return owner == a.ID || strings.Contains(a.team, ","+strconv.FormatInt(owner, 10)+",")
	}
	return owner == a.ID
}

// ownerRule is the SQL condition that limits an owner column to the actor's
// scope in m ("" when they see all). Team members are inlined as numbers:
// they are ids from the database, never input, and a literal IN list lets
// SQLite use the owner index for each of them.
func (a Actor) ownerRule(m Module, col string) string {
	switch a.Scope(m) {
	case ScopeAll:
		return ""
	case ScopeTeam:
		return col + " IN (" + a.teamList() + ")"
	}
	return col + " = " + strconv.FormatInt(a.ID, 10)
}

// teamList is the actor and their team as a comma-separated list of ids.
func (a Actor) teamList() string {
	return strconv.FormatInt(a.ID, 10) + strings.TrimSuffix(a.team, ",")
}

// owner adds the actor's row rule in m on the owner column col.
func (w *where) owner(a Actor, m Module, col string) {
	if rule := a.ownerRule(m, col); rule != "" {
		w.add(rule)
	}
}

// ownerAnd is ownerRule for SQL written out: " AND <rule>", or "".
func (a Actor) ownerAnd(m Module, col string) string {
	if rule := a.ownerRule(m, col); rule != "" {
		return " AND " + rule
	}
	return ""
}

// salesRule is the row rule of one activity record or plan (table alias
// t): those in the actor's activities scope and, because the history
// travels with a customer (README, "Roles"), every one on a customer the
// actor may see now, whoever wrote it. "" when the actor sees them all.
func (a Actor) salesRule(t string) string {
	own := a.ownerRule(ModActivities, t+".owner_id")
	cust := a.ownerRule(ModCustomers, "c2.owner_id")
	if own == "" || cust == "" {
		return ""
	}
	return "(" + own + " OR EXISTS (SELECT 1 FROM customers c2 WHERE c2.id = " + t + ".customer_id AND " + cust + "))"
}

// TeamIDs lists the users whose records a team scope shows the actor
// (themself first); for the person pickers of the team view.
func (a Actor) TeamIDs() []int64 {
	out := []int64{a.ID}
	for _, f := range strings.Split(a.team, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil && id != a.ID {
			out = append(out, id)
		}
	}
	return out
}

// SearchOwners are the owners whose documents a search may return to the
// actor (ok false: no restriction by owner). The index keeps one owner per
// document, the customer's, so this holds when the actor's customers and
// service scopes agree; otherwise the database's check of every hit
// (VisibleSearchRefs) is the rule.
func (a Actor) SearchOwners() (ids []int64, ok bool) {
	s := a.Scope(ModCustomers)
	if s == ScopeAll || a.Scope(ModService) != s {
		return nil, false
	}
	if s == ScopeTeam {
		return a.TeamIDs(), true
	}
	return []int64{a.ID}, true
}

// PermKey identifies what the actor may do, for caches of role-dependent
// output (the side menu).
func (a Actor) PermKey() string {
	d := a.def()
	var b strings.Builder
	for _, p := range d.Perms {
		b.WriteString(string(p))
		b.WriteByte(' ')
	}
	return b.String()
}

// SystemActor is the application acting on its own (a scheduled job, a
// campaign whose owner has left): it may read and change everything.
func SystemActor() Actor { return Actor{Role: RoleAdmin, role: builtinDefaults[RoleAdmin]} }

// AsSystem is a step the application takes for the actor beyond what they
// may do themselves (a conversion creating the customer record), recorded
// in the history under their id.
func (a Actor) AsSystem() Actor {
	return Actor{ID: a.ID, Role: RoleAdmin, role: builtinDefaults[RoleAdmin]}
}

// The readable names of the rules the queries apply.

// EditsCustomers is false for those who only read customer cards.
func (a Actor) EditsCustomers() bool { return a.Can(PermCustomersEdit) }

// CreatesAuxItems reports whether the actor may add items to the category
// lists (辅助项目); an import by anyone else maps an unknown value to
// "leave empty" or to an existing item.
func (a Actor) CreatesAuxItems() bool { return a.Can(PermSettingsManage) }

// UsesCampaigns: marketing campaigns at all.
func (a Actor) UsesCampaigns() bool { return a.Can(PermCampaignsSee) }

// HandlesService: handles issues, writes articles.
func (a Actor) HandlesService() bool { return a.Can(PermServiceEdit) }

// LeadsPeople: the reports' view of others (a team or everyone): a
// per-person filter, report schedules, the digest, the team's start page.
func (a Actor) LeadsPeople() bool { return a.Can(PermReportsSee) && a.SeesBeyondOwn(ModReports) }

// EditsActivities: records, plans and opportunities.
func (a Actor) EditsActivities() bool { return a.Can(PermActivitiesEdit) }

// SeesActivities: the sales history (activity records, plans,
// opportunities), also on a customer's card.
func (a Actor) SeesActivities() bool { return a.Can(PermActivitiesSee) }

// ActiveUsersWith lists the active users whose role has p (e.g. who may own
// a record, who may be an issue's assignee).
func (db *DB) ActiveUsersWith(ctx context.Context, p Permission) ([]User, error) {
	roles := db.RolesWith(p)
	if len(roles) == 0 {
		return nil, nil // ActiveUsersByRole without roles would be everyone
	}
	return db.ActiveUsersByRole(ctx, roles...)
}
