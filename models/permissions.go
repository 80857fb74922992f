package models

import (
	"context"
	"fmt"
	"slices"
)

// Permission is one thing a user may do. Every rule of who may do what is
// a row of the table below: the route middleware (Server.require), the
// handlers, the queries' row rules (through the Actor methods) and the
// templates (the "can" function) all ask it, and nothing else compares
// role names. Roles are data here so that editable roles (teams) become a
// change of the table's source, not of the code.
type Permission string

const (
	// PermCustomersSeeAll: every customer, prospect and contact; without
	// it a user sees only the records they own.
	PermCustomersSeeAll Permission = "customers.see_all"
	// PermCustomersEdit: create and change customers, prospects and
	// contacts, import them, act on them in batches.
	PermCustomersEdit Permission = "customers.edit"
	// PermRecordsOwn: may be the owner of customers, activity records,
	// plans, opportunities and campaigns.
	PermRecordsOwn Permission = "records.own"
	// PermActivitiesUse: activity records, plans, the calendar,
	// competitors and opportunities (业务活动管理).
	PermActivitiesUse Permission = "activities.use"
	// PermActivitiesSeeAll: everyone's activity records and plans.
	PermActivitiesSeeAll Permission = "activities.see_all"
	// PermServiceHandle: register and handle issues, be an issue's
	// assignee, write knowledge articles (服务管理).
	PermServiceHandle Permission = "service.handle"
	// PermCampaignsUse: marketing campaigns (市场活动管理).
	PermCampaignsUse Permission = "campaigns.use"
	// PermCampaignsSeeAll: everyone's campaigns.
	PermCampaignsSeeAll Permission = "campaigns.see_all"
	// PermTeamManage: the team's view: pick a salesperson, dispatch issues,
	// the managers' digest, schedule any report one may open.
	PermTeamManage Permission = "team.manage"
	// PermReportsAll: open, change and share every report.
	PermReportsAll Permission = "reports.all"
	// PermImportsAll: every user's import jobs.
	PermImportsAll Permission = "imports.see_all"
	// PermAuxCreate: add items to the category lists (辅助项目), also from
	// an import.
	PermAuxCreate Permission = "aux.create"
	// PermSettingsAdmin: basic settings, users, mail, jobs, the search
	// index (基础设置).
	PermSettingsAdmin Permission = "settings.admin"
	// PermHomeMyPlans: the start page is "my plans today".
	PermHomeMyPlans Permission = "home.my_plans"
)

// Permissions lists every permission, in the order of the table.
var Permissions = []Permission{PermCustomersSeeAll, PermCustomersEdit, PermRecordsOwn, PermActivitiesUse,
	PermActivitiesSeeAll, PermServiceHandle, PermCampaignsUse, PermCampaignsSeeAll, PermTeamManage,
	PermReportsAll, PermImportsAll, PermAuxCreate, PermSettingsAdmin, PermHomeMyPlans}

// rolePermissions is the table: what each role of SPEC.md "Roles" may do.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermCustomersSeeAll, PermCustomersEdit, PermRecordsOwn, PermActivitiesUse, PermActivitiesSeeAll,
		PermServiceHandle, PermCampaignsUse, PermCampaignsSeeAll, PermTeamManage, PermReportsAll, PermImportsAll,
		PermAuxCreate, PermSettingsAdmin},
	RoleManager: {PermCustomersSeeAll, PermCustomersEdit, PermRecordsOwn, PermActivitiesUse, PermActivitiesSeeAll,
		PermServiceHandle, PermCampaignsUse, PermCampaignsSeeAll, PermTeamManage},
	RoleSales: {PermCustomersEdit, PermRecordsOwn, PermActivitiesUse, PermCampaignsUse, PermHomeMyPlans},
	// Service staff read every customer card and the activities on it, and
	// handle issues; they do not sell.
	RoleService: {PermCustomersSeeAll, PermActivitiesSeeAll, PermServiceHandle},
}

// Can reports whether the role has permission p.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// Can reports whether the actor has permission p.
func (a Actor) Can(p Permission) bool { return a.Role.Can(p) }

// RolesWith lists the roles that have p, in display order.
func RolesWith(p Permission) []Role {
	var out []Role
	for _, r := range Roles {
		if r.Can(p) {
			out = append(out, r)
		}
	}
	return out
}

// RolesWithout lists the roles that lack p, in display order.
func RolesWithout(p Permission) []Role {
	var out []Role
	for _, r := range Roles {
		if !r.Can(p) {
			out = append(out, r)
		}
	}
	return out
}

// ParsePermission checks a permission's name (the templates spell them as
// strings): an unknown name is an error, never a silent "no".
func ParsePermission(name string) (Permission, error) {
	p := Permission(name)
	if !slices.Contains(Permissions, p) {
		return "", fmt.Errorf("unknown permission %q", name)
	}
	return p, nil
}

// SystemActor is the application acting on its own (a scheduled job, a
// campaign whose owner has left): it may read and change everything.
func SystemActor() Actor { return Actor{Role: RoleAdmin} }

// AsSystem is a step the application takes for the actor beyond what they
// may do themselves (a conversion creating the customer record), recorded
// in the history under their id.
func (a Actor) AsSystem() Actor { return Actor{ID: a.ID, Role: SystemActor().Role} }

// The readable names of the rules the queries apply.

// SeesAllCustomers is false for those who only see their own customers.
func (a Actor) SeesAllCustomers() bool { return a.Can(PermCustomersSeeAll) }

// EditsCustomers is false for those who only read customer cards.
func (a Actor) EditsCustomers() bool { return a.Can(PermCustomersEdit) }

// IsManager: the team's view (managers and admins).
func (a Actor) IsManager() bool { return a.Can(PermTeamManage) }

// CreatesAuxItems reports whether the actor may add items to the category
// lists (辅助项目); an import by anyone else maps an unknown value to
// "leave empty" or to an existing item.
func (a Actor) CreatesAuxItems() bool { return a.Can(PermAuxCreate) }

// SeesAllCampaigns: everyone's campaigns, not only one's own.
func (a Actor) SeesAllCampaigns() bool { return a.Can(PermCampaignsSeeAll) }

// UsesCampaigns: marketing campaigns at all.
func (a Actor) UsesCampaigns() bool { return a.Can(PermCampaignsUse) }

// HandlesService: registers and handles issues, writes articles.
func (a Actor) HandlesService() bool { return a.Can(PermServiceHandle) }

// SeesAllActivities: everyone's activity records and plans.
func (a Actor) SeesAllActivities() bool { return a.Can(PermActivitiesSeeAll) }

// EditsActivities: records, plans, competitors and opportunities.
func (a Actor) EditsActivities() bool { return a.Can(PermActivitiesUse) }

// ActiveUsersWith lists the active users whose role has p (e.g. who may own
// a record, who may be an issue's assignee).
func (db *DB) ActiveUsersWith(ctx context.Context, p Permission) ([]User, error) {
	roles := RolesWith(p)
	if len(roles) == 0 {
		return nil, nil // ActiveUsersByRole without roles would be everyone
	}
	return db.ActiveUsersByRole(ctx, roles...)
}
