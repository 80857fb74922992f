package handlers

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Handler returns the whole application as one http.Handler: the route
// table below, wrapped in cross-origin (CSRF) protection.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = false
	r.RemoveExtraSlash = true
	// Gin would believe X-Forwarded-For from anyone; the client's address is
	// judged by Config.TrustedProxies instead (clientip.go).
	_ = r.SetTrustedProxies(nil)
	r.Use(gin.CustomRecovery(s.recovery), securityHeaders)

	r.GET("/healthz", s.healthz)
	r.GET("/static/*file", s.staticFile)
	r.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, s.assets.URL("logo.svg")) })

	app := r.Group("/", s.limitBody, s.loadSession)
	app.GET("/login", s.loginPage)
	app.POST("/login", s.login)
	app.GET("/login/2fa", s.loginSecondStepPage)
	app.POST("/login/2fa", s.loginSecondStep)
	app.POST("/logout", s.logout)
	// The private iCalendar feed: the secret token in the URL is the login.
	app.GET("/ical/:token", s.icalFeed)

	// Links inside campaign e-mail: no login. A GET never unsubscribes
	// (mail scanners follow links); the POST does, also as RFC 8058 one-click.
	app.GET("/u/:token", s.unsubscribePage)
	app.POST("/u/:token", s.unsubscribe)
	app.GET("/o/:file", s.openPixel)

	in := app.Group("/", s.requireLogin, s.requireTwoFactor)
	in.GET("/", s.home)

	// Profile: every user.
	in.GET("/profile", s.profile)
	in.POST("/profile/password", s.changeOwnPassword)
	in.POST("/profile/lang", s.changeOwnLang)
	in.GET("/profile/2fa", s.twoFactorSetup)
	in.POST("/profile/2fa", s.enableTwoFactor)
	in.POST("/profile/2fa/disable", s.disableTwoFactor)
	in.GET("/profile/calendar", s.calendarFeed)
	in.GET("/profile/api-tokens", s.apiTokensPage)
	in.POST("/profile/api-tokens", s.createAPIToken)
	in.POST("/profile/api-tokens/:id/revoke", s.revokeAPIToken)
	in.GET("/api-docs", s.apiDocsPage)
	in.POST("/profile/calendar/token", s.newCalendarToken)
	in.POST("/profile/calendar/revoke", s.revokeCalendarToken)
	in.GET("/profile/notices", s.notices)
	in.POST("/profile/notices", s.saveNotices)
	in.GET("/notifications", s.listNotifications)
	in.GET("/notifications/count", s.notificationCount)
	in.POST("/notifications/read", s.readAllNotifications)
	in.GET("/notifications/:id", s.openNotification)

	// Customers (客户信息) and prospects (潜在客户信息) share their screens.
	for _, kind := range []string{"customer", "prospect"} {
		k := customerKinds[kind]
		g := in.Group(k.base, s.require(models.PermCustomersSee))
		g.GET("", k.h(s.listCustomers))
		g.GET("/export.csv", s.require(models.PermCustomersExport), k.h(s.exportCustomers))
		g.GET("/export.xlsx", s.require(models.PermCustomersExport), k.h(s.exportCustomers))
		g.GET("/duplicates", k.h(s.checkDuplicates))
		g.GET("/duplicates-report", k.h(s.duplicatesReport))
		g.GET("/merge", k.h(s.mergeForm))
		g.POST("/merge", k.h(s.mergeCustomers))
		g.POST("/batch", k.h(s.batchCustomers))
		g.GET("/new", s.require(models.PermCustomersCreate), k.h(s.newCustomer))
		g.POST("", s.require(models.PermCustomersCreate), k.h(s.createCustomer))
		g.GET("/:id", k.h(s.showCustomer))
		g.GET("/:id/edit", s.require(models.PermCustomersEdit), k.h(s.editCustomer))
		g.POST("/:id", s.require(models.PermCustomersEdit), k.h(s.updateCustomer))
		g.POST("/:id/delete", s.require(models.PermCustomersDelete), s.deleteRecord(kind))
		g.POST("/:id/erase", s.require(models.PermSettingsManage), s.eraseRecord(kind))
		g.POST("/:id/contacts/:cid/erase", s.require(models.PermSettingsManage), k.h(s.eraseContact))
		// A contact is part of its customer's record: editing the customer.
		g.GET("/:id/contacts/new", s.require(models.PermCustomersEdit), k.h(s.newContact))
		g.POST("/:id/contacts", s.require(models.PermCustomersEdit), k.h(s.createContact))
		g.GET("/:id/contacts/:cid/edit", s.require(models.PermCustomersEdit), k.h(s.editContact))
		g.POST("/:id/contacts/:cid", s.require(models.PermCustomersEdit), k.h(s.updateContact))
		g.POST("/:id/contacts/:cid/delete", s.require(models.PermCustomersEdit), k.h(s.deleteContact))
	}
	in.POST("/prospects/:id/convert", s.require(models.PermCustomersCreate), s.convertProspect)
	in.GET("/contacts", s.require(models.PermCustomersSee), s.listContacts)
	in.GET("/contacts/export.csv", s.require(models.PermCustomersExport), s.exportContacts)
	in.GET("/contacts/export.xlsx", s.require(models.PermCustomersExport), s.exportContacts)

	// Marketing campaigns (市场活动管理): plans, target lists, results.
	in.GET("/campaigns", s.require(models.PermCampaignsSee), s.listCampaigns)
	in.GET("/campaigns/new", s.require(models.PermCampaignsCreate), s.newCampaign)
	in.GET("/campaigns/options", s.require(models.PermCampaignsSee), s.campaignOptions)
	in.GET("/campaigns/export.csv", s.require(models.PermCampaignsExport), s.exportCampaigns)
	in.GET("/campaigns/export.xlsx", s.require(models.PermCampaignsExport), s.exportCampaigns)
	in.POST("/campaigns", s.require(models.PermCampaignsCreate), s.saveCampaign)
	in.GET("/campaigns/:id", s.require(models.PermCampaignsSee), s.showCampaign)
	in.GET("/campaigns/:id/edit", s.require(models.PermCampaignsEdit), s.editCampaign)
	in.POST("/campaigns/:id", s.require(models.PermCampaignsEdit), s.saveCampaign)
	in.POST("/campaigns/:id/delete", s.require(models.PermCampaignsDelete), s.deleteRecord("campaign"))
	in.GET("/campaigns/:id/targets", s.require(models.PermCampaignsSee), s.campaignTargets)
	in.GET("/campaigns/:id/targets/preview", s.require(models.PermCampaignsSee), s.previewTargets)
	in.GET("/campaigns/:id/targets/search", s.require(models.PermCampaignsSee), s.searchTargetCustomers)
	in.POST("/campaigns/:id/targets/filter", s.require(models.PermCampaignsEdit), s.addTargetsByFilter)
	in.POST("/campaigns/:id/targets/add", s.require(models.PermCampaignsEdit), s.addTargetCustomer)
	in.POST("/campaigns/:id/targets/:tid", s.require(models.PermCampaignsEdit), s.saveTargetResult)
	in.POST("/campaigns/:id/targets/:tid/delete", s.require(models.PermCampaignsEdit), s.removeTarget)
	in.POST("/campaigns/:id/results", s.require(models.PermCampaignsEdit), s.saveCampaignResults)
	in.GET("/campaigns/:id/mail", s.require(models.PermCampaignsSee), s.campaignMail)
	in.POST("/campaigns/:id/mail", s.require(models.PermCampaignsEdit), s.saveCampaignMail)
	in.POST("/campaigns/:id/mail/preview", s.require(models.PermCampaignsEdit), s.previewCampaignMail)
	in.POST("/campaigns/:id/mail/test", s.require(models.PermCampaignsEdit), s.testCampaignMail)
	in.POST("/campaigns/:id/send", s.require(models.PermCampaignsEdit), s.sendCampaign)
	in.POST("/campaigns/:id/pause", s.require(models.PermCampaignsEdit), s.pauseCampaign)
	in.POST("/campaigns/:id/resume", s.require(models.PermCampaignsEdit), s.resumeCampaign)
	in.GET("/campaigns/:id/progress", s.require(models.PermCampaignsSee), s.campaignProgress)

	// Import wizard: upload → map columns → values and preview → run → report.
	imp := in.Group("/", s.require(models.PermCustomersImport))
	imp.GET("/import", s.importUploadPage)
	imp.POST("/import", s.importUpload)
	imp.GET("/import/:id", s.importStatus)
	imp.GET("/import/:id/map", s.importMapPage)
	imp.POST("/import/:id/map", s.importMap)
	imp.GET("/import/:id/preview", s.importPreviewPage)
	imp.POST("/import/:id/values", s.importValues)
	imp.POST("/import/:id/start", s.importStart)
	imp.POST("/import/:id/cancel", s.importCancel)
	imp.GET("/import/:id/report", s.importReport)

	// Business activity management (业务活动管理): salespeople, managers, admins.
	act := in.Group("/", s.require(models.PermActivitiesSee))
	act.GET("/activities", s.listActivities)
	act.GET("/activities/export.csv", s.require(models.PermActivitiesExport), s.exportActivities)
	act.GET("/activities/export.xlsx", s.require(models.PermActivitiesExport), s.exportActivities)
	act.GET("/activities/new", s.require(models.PermActivitiesCreate), s.newActivity)
	act.POST("/activities", s.require(models.PermActivitiesCreate), withoutID(s.saveActivity))
	act.GET("/activities/:id", s.showActivity)
	act.GET("/activities/:id/edit", s.require(models.PermActivitiesEdit), s.editActivity)
	act.POST("/activities/:id", s.require(models.PermActivitiesEdit), s.withID(s.saveActivity))
	act.POST("/activities/:id/delete", s.require(models.PermActivitiesDelete), s.deleteRecord("activity"))
	act.GET("/counterparts", s.searchCounterparts)
	act.GET("/counterparts/contacts", s.counterpartContacts)
	act.GET("/plans", s.listPlans)
	act.GET("/plans/export.csv", s.require(models.PermActivitiesExport), s.exportPlans)
	act.GET("/plans/export.xlsx", s.require(models.PermActivitiesExport), s.exportPlans)
	act.GET("/plans/today", s.todayPlans)
	act.GET("/plans/new", s.require(models.PermActivitiesCreate), s.newPlan)
	act.POST("/plans", s.require(models.PermActivitiesCreate), withoutID(s.savePlan))
	act.POST("/plans/batch", s.require(models.PermActivitiesEdit), s.batchPlans)
	act.GET("/plans/:id", s.showPlan)
	act.GET("/plans/:id/edit", s.require(models.PermActivitiesEdit), s.editPlan)
	act.POST("/plans/:id", s.require(models.PermActivitiesEdit), s.withID(s.savePlan))
	act.POST("/plans/:id/cancel", s.require(models.PermActivitiesEdit), s.cancelPlan)
	act.POST("/plans/:id/done", s.require(models.PermActivitiesEdit), s.completeTask)
	act.POST("/plans/:id/delete", s.require(models.PermActivitiesDelete), s.deleteRecord("plan"))
	act.GET("/calendar", s.calendar)
	act.GET("/competitors", s.listCompetitors)
	act.GET("/competitors/new", s.require(models.PermActivitiesCreate), s.newCompetitor)
	act.POST("/competitors", s.require(models.PermActivitiesCreate), s.createCompetitor)
	act.GET("/competitors/:id", s.showCompetitor)
	act.GET("/competitors/:id/edit", s.require(models.PermActivitiesManage), s.editCompetitor)
	act.POST("/competitors/:id", s.require(models.PermActivitiesManage), s.updateCompetitor)
	act.GET("/opportunities", s.listOpportunities)
	act.GET("/opportunities/export.csv", s.require(models.PermActivitiesExport), s.exportOpportunities)
	act.GET("/opportunities/export.xlsx", s.require(models.PermActivitiesExport), s.exportOpportunities)
	act.GET("/opportunities/board", s.board)
	act.GET("/opportunities/new", s.require(models.PermActivitiesCreate), s.newOpportunity)
	act.POST("/opportunities", s.require(models.PermActivitiesCreate), withoutID(s.saveOpportunity))
	act.GET("/opportunities/:id", s.showOpportunity)
	act.GET("/opportunities/:id/edit", s.require(models.PermActivitiesEdit), s.editOpportunity)
	act.POST("/opportunities/:id", s.require(models.PermActivitiesEdit), s.withID(s.saveOpportunity))
	act.POST("/opportunities/:id/stage", s.require(models.PermActivitiesEdit), s.moveOpportunity)
	act.POST("/opportunities/:id/close", s.require(models.PermActivitiesEdit), s.closeOpportunity)
	act.POST("/opportunities/:id/delete", s.require(models.PermActivitiesDelete), s.deleteRecord("opportunity"))

	// Service management (服务管理). Every role reads what its row rules
	// allow (salespeople: the issues of their own customers); service staff,
	// managers and admins register, handle, archive and write articles.
	see := in.Group("/", s.require(models.PermServiceSee))
	reg := in.Group("/", s.require(models.PermServiceCreate))
	svc := in.Group("/", s.require(models.PermServiceEdit))
	see.GET("/issues", s.listIssues)
	see.GET("/issues/export.csv", s.require(models.PermServiceExport), s.exportIssues)
	see.GET("/issues/export.xlsx", s.require(models.PermServiceExport), s.exportIssues)
	reg.GET("/issues/new", s.newIssue)
	reg.GET("/issues/customer-options", s.customerOptions)
	reg.GET("/issues/contact-options", s.contactOptions)
	reg.GET("/issues/similar", s.similarIssues)
	reg.POST("/issues", s.createIssue)
	see.GET("/issues/:id", s.showIssue)
	svc.GET("/issues/:id/edit", s.editIssue)
	svc.POST("/issues/:id", s.updateIssue)
	svc.POST("/issues/:id/delete", s.require(models.PermServiceDelete), s.deleteRecord("issue"))
	svc.POST("/issues/:id/handlings", s.addHandling)
	svc.GET("/issues/:id/kb", s.issueKB)
	svc.GET("/issues/:id/archive", s.archiveForm)
	svc.POST("/issues/:id/archive", s.archiveIssue)
	see.GET("/kb", s.listArticles)
	see.GET("/kb/export.csv", s.require(models.PermServiceExport), s.exportArticles)
	see.GET("/kb/export.xlsx", s.require(models.PermServiceExport), s.exportArticles)
	svc.GET("/kb/new", s.newArticle)
	svc.POST("/kb", s.createArticle)
	see.GET("/kb/:id", s.showArticle)
	svc.GET("/kb/:id/edit", s.editArticle)
	svc.POST("/kb/:id", s.updateArticle)
	svc.POST("/kb/:id/delete", s.require(models.PermServiceDelete), s.deleteRecord("article"))
	see.POST("/kb/:id/helped", s.articleHelped)

	// Attachments and comments on a record's card (its panel); the row
	// rules of the record decide, in models.RecordAccess.
	in.GET("/files/:kind/:id", s.showFiles)
	in.POST("/files/:kind/:id", s.uploadFiles)
	in.POST("/files/:kind/:id/comments", s.addComment)
	in.GET("/files/:kind/:id/mentions", s.mentionOptions)
	in.POST("/comments/:cid", s.changeComment(false))
	in.POST("/comments/:cid/delete", s.changeComment(true))
	in.GET("/attachments/:aid", s.downloadAttachment)
	in.GET("/attachments/:aid/thumb", s.attachmentThumb)
	in.POST("/attachments/:aid/delete", s.deleteAttachment)

	// The recycle bin (回收站): what one deleted, restorable for a while.
	in.GET("/trash", s.trashPage)
	in.POST("/trash/:id/restore", s.restoreTrash)

	// Search: the top bar's box and the full results page.
	in.GET("/search", s.searchPage)

	// CRM reports (CRM报表): everyone opens the reports they are a report
	// user of; the row rules apply inside each one.
	rep := in.Group("/", s.require(models.PermReportsSee))
	rep.GET("/reports", s.listReports)
	rep.GET("/reports/new", s.newReport)
	rep.POST("/reports/builder", s.reportBuilder)
	rep.POST("/reports", s.createReport)
	rep.GET("/reports/:id", s.showReport)
	rep.GET("/reports/:id/export.csv", s.require(models.PermReportsExport), s.exportReport)
	rep.GET("/reports/:id/export.xlsx", s.require(models.PermReportsExport), s.exportReport)
	rep.GET("/reports/:id/edit", s.editReport)
	rep.POST("/reports/:id", s.updateReport)
	rep.POST("/reports/:id/delete", s.deleteReport)
	rep.GET("/reports/:id/users", s.reportUsers)
	rep.POST("/reports/:id/users", s.saveReportUsers)
	rep.GET("/reports/:id/schedules", s.reportSchedules)
	rep.POST("/reports/:id/schedules", s.createReportSchedule)
	rep.POST("/reports/:id/schedules/:sid/delete", s.deleteReportSchedule)
	// The managers' digest.
	mgr := rep.Group("/", s.requireLeadsPeople)
	mgr.GET("/reports/digest", s.digestSettings)
	mgr.POST("/reports/digest", s.saveDigestSettings)

	// Basic settings (基础设置): admin only.
	admin := in.Group("/", s.require(models.PermSettingsManage))
	admin.GET("/settings", s.settingsHome)
	admin.GET("/settings/numbering", s.numberingRules)
	admin.GET("/settings/numbering/:kind/preview", s.previewNumbering)
	admin.POST("/settings/numbering/:kind", s.saveNumberingRule)
	admin.GET("/settings/aux/:type", s.auxItems)
	admin.GET("/settings/aux/:type/new", s.newAuxItem)
	admin.POST("/settings/aux/:type", s.createAuxItem)
	admin.GET("/settings/aux/:type/:id/edit", s.editAuxItem)
	admin.POST("/settings/aux/:type/:id", s.updateAuxItem)
	admin.POST("/settings/aux/:type/:id/delete", s.deleteAuxItem)
	admin.GET("/admin/mail", s.mailAdmin)
	admin.POST("/admin/mail", s.saveMailAdmin)
	admin.GET("/admin/mail/files/:name", s.mailFileView)
	admin.GET("/admin/mail/suppressions", s.suppressions)
	admin.POST("/admin/mail/suppressions/allow", s.allowAddress)
	admin.GET("/admin/webhooks", s.webhooks)
	admin.POST("/admin/webhooks/settings", s.saveWebhookSettings)
	admin.GET("/admin/webhooks/new", s.newWebhook)
	admin.POST("/admin/webhooks", s.createWebhook)
	admin.GET("/admin/webhooks/:id", s.editWebhook)
	admin.POST("/admin/webhooks/:id", s.updateWebhook)
	admin.POST("/admin/webhooks/:id/pause", s.pauseWebhook)
	admin.POST("/admin/webhooks/:id/delete", s.deleteWebhook)
	admin.POST("/admin/webhooks/:id/ping", s.pingWebhook)
	admin.POST("/admin/webhooks/:id/deliveries/:delivery/redeliver", s.redeliverWebhook)
	admin.GET("/admin/users", s.users)
	admin.GET("/admin/users/new", s.newUser)
	admin.POST("/admin/users", s.createUser)
	admin.GET("/admin/users/:id/edit", s.editUser)
	admin.POST("/admin/users/:id", s.updateUser)
	admin.POST("/admin/users/:id/password", s.resetPassword)
	admin.POST("/admin/users/:id/2fa/reset", s.resetTwoFactor)
	admin.GET("/admin/teams", s.teamsPage)
	admin.GET("/admin/teams/new", s.newTeam)
	admin.POST("/admin/teams", s.saveTeam)
	admin.GET("/admin/teams/:id", s.editTeam)
	admin.POST("/admin/teams/:id", s.saveTeam)
	admin.POST("/admin/teams/:id/delete", s.deleteTeam)
	admin.GET("/admin/roles", s.rolesPage)
	admin.GET("/admin/roles/:key", s.editRole)
	admin.POST("/admin/roles/:key", s.saveRole)
	admin.POST("/admin/roles/:key/reset", s.resetRole)
	admin.POST("/admin/roles/:key/copy", s.copyRole)
	admin.POST("/admin/roles/:key/delete", s.deleteRole)
	admin.GET("/admin/security", s.securityLog)
	admin.POST("/admin/security/2fa", s.saveTwoFactorPolicy)
	admin.GET("/admin/api-tokens", s.adminAPITokens)
	admin.POST("/admin/api-tokens/:id/revoke", s.revokeAPIToken)
	admin.GET("/admin/jobs", s.listJobs)
	admin.POST("/admin/jobs/:name/run", s.runJob)
	admin.GET("/admin/search", s.searchAdmin)
	admin.POST("/admin/search/rebuild", s.rebuildSearch)
	admin.GET("/admin/search/synonyms", s.searchSynonyms)
	admin.POST("/admin/search/synonyms", s.saveSearchSynonyms)
	admin.GET("/admin/files", s.filesAdminPage)
	admin.POST("/admin/files", s.saveFilesAdmin)
	admin.GET("/admin/backups", s.backupsPage)
	admin.POST("/admin/backups", s.runBackup)
	admin.GET("/admin/backups/:name", s.downloadBackup)
	admin.POST("/admin/backups/:name/delete", s.deleteBackup)

	// The REST API (issue 14). A bearer token is its only login: no session
	// is loaded here, so a cookie never authenticates it, and apiAuth is on
	// no screen's route, so a token never authenticates the UI.
	api := r.Group("/api/v1", s.apiStart)
	api.GET("/openapi.json", s.openAPIDocument)
	v1 := api.Group("/", s.apiAuth, s.apiIdempotent)
	v1.GET("/me", s.apiMe)
	v1.GET("/users", s.apiUsers)
	v1.GET("/customers", s.require(models.PermCustomersSee), s.apiListCustomers("customer"))
	v1.POST("/customers", s.require(models.PermCustomersCreate), s.apiCreateCustomer("customer"))
	v1.GET("/customers/:id", s.require(models.PermCustomersSee), s.apiGetCustomer("customer"))
	v1.PATCH("/customers/:id", s.require(models.PermCustomersEdit), s.apiUpdateCustomer("customer"))
	v1.DELETE("/customers/:id", s.require(models.PermCustomersDelete), s.apiDeleteCustomer("customer"))
	v1.GET("/customers/:id/contacts", s.require(models.PermCustomersSee), s.apiCustomerContacts("customer"))
	v1.POST("/customers/:id/contacts", s.require(models.PermCustomersEdit), s.apiCreateContact("customer"))
	v1.PATCH("/customers/:id/contacts/:cid", s.require(models.PermCustomersEdit), s.apiUpdateContact("customer"))
	v1.DELETE("/customers/:id/contacts/:cid", s.require(models.PermCustomersEdit), s.apiDeleteContact("customer"))
	v1.GET("/prospects", s.require(models.PermCustomersSee), s.apiListCustomers("prospect"))
	v1.POST("/prospects", s.require(models.PermCustomersCreate), s.apiCreateCustomer("prospect"))
	v1.GET("/prospects/:id", s.require(models.PermCustomersSee), s.apiGetCustomer("prospect"))
	v1.PATCH("/prospects/:id", s.require(models.PermCustomersEdit), s.apiUpdateCustomer("prospect"))
	v1.DELETE("/prospects/:id", s.require(models.PermCustomersDelete), s.apiDeleteCustomer("prospect"))
	v1.GET("/prospects/:id/contacts", s.require(models.PermCustomersSee), s.apiCustomerContacts("prospect"))
	v1.POST("/prospects/:id/contacts", s.require(models.PermCustomersEdit), s.apiCreateContact("prospect"))
	v1.PATCH("/prospects/:id/contacts/:cid", s.require(models.PermCustomersEdit), s.apiUpdateContact("prospect"))
	v1.DELETE("/prospects/:id/contacts/:cid", s.require(models.PermCustomersEdit), s.apiDeleteContact("prospect"))
	v1.POST("/prospects/:id/convert", s.require(models.PermCustomersCreate), s.apiConvertProspect)
	v1.GET("/opportunities", s.require(models.PermActivitiesSee), s.apiListOpportunities)
	v1.POST("/opportunities", s.require(models.PermActivitiesCreate), s.apiCreateOpportunity)
	v1.GET("/opportunities/:id", s.require(models.PermActivitiesSee), s.apiGetOpportunity)
	v1.PATCH("/opportunities/:id", s.require(models.PermActivitiesEdit), s.apiUpdateOpportunity)
	v1.DELETE("/opportunities/:id", s.require(models.PermActivitiesDelete), s.apiDeleteOpportunity)
	v1.POST("/opportunities/:id/close", s.require(models.PermActivitiesEdit), s.apiCloseOpportunity)
	// Issues: everyone reads what the row rules allow; who may register
	// (salespeople: for their own customers) and handle them is the matrix's.
	v1.GET("/issues", s.require(models.PermServiceSee), s.apiListIssues)
	v1.POST("/issues", s.require(models.PermServiceCreate), s.apiCreateIssue)
	v1.GET("/issues/:id", s.require(models.PermServiceSee), s.apiGetIssue)
	v1.PATCH("/issues/:id", s.require(models.PermServiceEdit), s.apiUpdateIssue)
	v1.DELETE("/issues/:id", s.require(models.PermServiceDelete), s.apiDeleteIssue)
	v1.GET("/issues/:id/handlings", s.require(models.PermServiceSee), s.apiHandlings)
	v1.POST("/issues/:id/handlings", s.require(models.PermServiceEdit), s.apiAddHandling)
	v1.GET("/activities", s.require(models.PermActivitiesSee), s.apiListActivities)
	v1.POST("/activities", s.require(models.PermActivitiesCreate), s.apiCreateActivity)
	v1.GET("/activities/:id", s.require(models.PermActivitiesSee), s.apiGetActivity)
	v1.PATCH("/activities/:id", s.require(models.PermActivitiesEdit), s.apiUpdateActivity)
	v1.DELETE("/activities/:id", s.require(models.PermActivitiesDelete), s.apiDeleteActivity)
	v1.GET("/plans", s.require(models.PermActivitiesSee), s.apiListPlans)
	v1.POST("/plans", s.require(models.PermActivitiesCreate), s.apiCreatePlan)
	v1.GET("/plans/:id", s.require(models.PermActivitiesSee), s.apiGetPlan)
	v1.PATCH("/plans/:id", s.require(models.PermActivitiesEdit), s.apiUpdatePlan)
	v1.DELETE("/plans/:id", s.require(models.PermActivitiesDelete), s.apiDeletePlan)
	v1.GET("/articles", s.require(models.PermServiceSee), s.apiListArticles)
	v1.GET("/articles/:id", s.require(models.PermServiceSee), s.apiGetArticle)
	v1.GET("/category-items", s.apiCategoryItems)
	v1.GET("/search", s.apiSearch)
	v1.GET("/campaigns", s.require(models.PermCampaignsSee), s.apiListCampaigns)
	v1.GET("/campaigns/:id", s.require(models.PermCampaignsSee), s.apiGetCampaign)
	v1.GET("/campaigns/:id/targets", s.require(models.PermCampaignsSee), s.apiCampaignTargets)

	r.NoRoute(s.apiNoRoute, s.limitBody, s.loadSession, s.notFound)

	// Go's cross-origin protection rejects unsafe requests that a browser
	// marks as coming from another site (Sec-Fetch-Site / Origin), which is
	// what CSRF needs without tokens in every form.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	// The API carries no cookie (a bearer token, which a browser never adds
	// by itself), so another site cannot make a browser send an
	// authenticated API request: CSRF does not apply, and scripts on other
	// origins (a website's contact form) may call it.
	cop.AddInsecureBypassPattern("/api/")
	return headAsGet(cop.Handler(r))
}

// headAsGet answers HEAD as the GET of the same URL: monitors, link
// checkers and calendar clients probe with HEAD. net/http sends no body for
// a HEAD request whatever the handler writes.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers a request that another site made the browser
// send (CSRF) with the friendly error page, in the browser's language.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header()) // the gin chain, which sets them, did not run
	lang := views.MatchLanguage(r.Header.Get("Accept-Language"))
	p := &page{Lang: lang, Title: s.views.Catalog.T(lang, "error.title"),
		Data: map[string]any{"Status": http.StatusForbidden, "Message": s.views.Catalog.T(lang, "error.cross_origin")}}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	if err := s.views.Render(w, lang, "error", "layout", p); err != nil {
		s.log.Error("render cross-origin denial", "err", err)
	}
}

// staticFile serves embedded assets; a URL carrying the current content hash
// may be cached for a year.
func (s *Server) staticFile(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	f, err := fs.Stat(s.assets.FS, name)
	if err != nil || f.IsDir() {
		c.Status(http.StatusNotFound)
		return
	}
	if v := c.Query("v"); v != "" && v == s.assets.Hash(name) {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	c.FileFromFS(name, http.FS(s.assets.FS))
}
