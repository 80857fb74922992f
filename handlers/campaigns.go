package handlers

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
	"keyuan/views"
)

// campaignAccess stops service staff, who have no campaign screens.
func (s *Server) campaignAccess(c *gin.Context) bool {
	if !actor(c).UsesCampaigns() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return false
	}
	return true
}

type campaignListData struct {
	Filter    models.CampaignFilter
	Campaigns []models.Campaign
	Statuses  []string
}

func campaignFilterFrom(q url.Values) models.CampaignFilter {
	f := models.CampaignFilter{Q: truncate(strings.TrimSpace(q.Get("q")), 100), TypeID: parseID(q.Get("type"))}
	for _, st := range models.CampaignStatuses {
		if q.Get("status") == st {
			f.Status = st
		}
	}
	return f
}

func (s *Server) listCampaigns(c *gin.Context) {
	if !s.campaignAccess(c) {
		return
	}
	f := campaignFilterFrom(c.Request.URL.Query())
	list, err := s.db.ListCampaigns(c.Request.Context(), actor(c), f, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "campaign.list.title"), "campaigns", &campaignListData{Filter: f, Campaigns: list, Statuses: models.CampaignStatuses})
	s.renderTargeted(c, http.StatusOK, "campaigns/list", p, "results", "results")
}

type campaignFormData struct {
	Campaign models.Campaign
	Budget   string // as typed
	Owners   []models.User
	Statuses []string
	Manager  bool
}

func (s *Server) renderCampaignForm(c *gin.Context, status int, m models.Campaign, budget string, errs fieldErrors) {
	a := actor(c)
	data := &campaignFormData{Campaign: m, Budget: budget, Statuses: models.CampaignStatuses, Manager: a.SeesBeyondOwn(models.ModCampaigns)}
	if data.Manager {
		owners, err := s.peopleInScope(c, models.ModCampaigns)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Owners = owners
	}
	title := s.formTitle(c, "campaign", m.ID != 0, m.Name)
	s.renderForm(c, status, "campaigns/form", errs, title, "campaigns", data)
}

func (s *Server) newCampaign(c *gin.Context) {
	if !s.campaignAccess(c) {
		return
	}
	today := s.now().Format("2006-01-02")
	s.renderCampaignForm(c, http.StatusOK, models.Campaign{StartDate: today, EndDate: today, Status: "planning", OwnerID: actor(c).ID}, "", nil)
}

func (s *Server) editCampaign(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	s.renderCampaignForm(c, http.StatusOK, *m, models.FormatFen(m.Budget), nil)
}

// campaign loads the campaign of the URL; it has written the error page
// when ok is false.
func (s *Server) campaign(c *gin.Context) (*models.Campaign, bool) {
	if !actor(c).UsesCampaigns() {
		s.notFound(c)
		return nil, false
	}
	m, _, ok := loadRecord(s, c, s.db.GetCampaign)
	return m, ok
}

func (s *Server) saveCampaign(c *gin.Context) {
	if !s.campaignAccess(c) {
		return
	}
	var m models.Campaign
	if id := c.Param("id"); id != "" {
		old, ok := s.campaign(c)
		if !ok {
			return
		}
		m = *old
	}
	m.Name = strings.TrimSpace(c.PostForm("name"))
	m.TypeID = formID(c.PostForm("type"))
	m.StartDate = strings.TrimSpace(c.PostForm("start_date"))
	m.EndDate = strings.TrimSpace(c.PostForm("end_date"))
	m.Place = strings.TrimSpace(c.PostForm("place"))
	m.Description = strings.TrimSpace(c.PostForm("description"))
	m.OwnerID = formID(c.PostForm("owner"))
	budget := strings.TrimSpace(c.PostForm("budget"))
	if st := c.PostForm("status"); st != "" {
		m.Status = st
	}
	a := actor(c)
	var budgetOK bool
	m.Budget, budgetOK = models.ParseFen(budget)
	errs, err := s.db.CheckCampaign(c.Request.Context(), a, &m)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !budgetOK {
		errs["budget"] = "campaign.money_invalid"
	}
	if errs.Any() {
		s.renderCampaignForm(c, http.StatusUnprocessableEntity, m, budget, errs)
		return
	}
	if err := s.db.SaveCampaign(c.Request.Context(), a, &m); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("campaign", m.ID))
}

type campaignCardData struct {
	Campaign *models.Campaign
	Stats    models.CampaignMailStats
	Targets  models.TargetPage
	Hidden   int // targets whose customers the user may not see: counted, not listed
	TargetQ  url.Values
	Owners   []models.User
	Results  struct {
		ActualCost string
	}
	History []historyLine
	Bounces []models.Suppression // addresses whose mail server refused the invitation
}

func (s *Server) showCampaign(c *gin.Context) {
	if data, ok := s.loadCampaignCard(c); ok {
		s.renderCampaignCard(c, http.StatusOK, data, nil)
	}
}

// loadCampaignCard gathers the card of the campaign in the address; ok is
// false when it has answered (not found, or the error page).
func (s *Server) loadCampaignCard(c *gin.Context) (*campaignCardData, bool) {
	m, ok := s.campaign(c)
	if !ok {
		return nil, false
	}
	data, err := s.campaignCard(c, m)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return data, true
}

func (s *Server) campaignCard(c *gin.Context, m *models.Campaign) (*campaignCardData, error) {
	ctx := c.Request.Context()
	data := &campaignCardData{Campaign: m, TargetQ: c.Request.URL.Query()}
	data.Results.ActualCost = models.FormatFen(m.ActualCost)
	var err error
	if data.Stats, err = s.db.MailStats(ctx, m.ID); err != nil {
		return nil, err
	}
	page := queryPage(c.Request.URL.Query(), 1_000_000, 1)
	if data.Targets, err = s.db.ListTargets(ctx, actor(c), m.ID, c.Query("status"), truncate(c.Query("q"), 100), page, 50); err != nil {
		return nil, err
	}
	if data.Hidden, err = s.db.HiddenTargets(ctx, actor(c), m.ID); err != nil {
		return nil, err
	}
	if actor(c).SeesBeyondOwn(models.ModCampaigns) {
		if data.Owners, err = s.peopleInScope(c, models.ModCampaigns); err != nil {
			return nil, err
		}
	}
	if data.Bounces, err = s.db.CampaignBounces(ctx, m.ID); err != nil {
		return nil, err
	}
	entries, err := s.db.History(ctx, "campaign", m.ID, 50)
	if err != nil {
		return nil, err
	}
	aux, err := s.db.AuxLookupFor(ctx, s.lang(c))
	if err != nil {
		return nil, err
	}
	data.History = s.describeHistory(c, "campaign", entries, aux)
	return data, nil
}

func (s *Server) renderCampaignCard(c *gin.Context, status int, data *campaignCardData, errs fieldErrors) {
	s.renderForm(c, status, "campaigns/card", errs, data.Campaign.Name, "campaigns", data)
}

// campaignTargets answers the target table's paging and filtering (htmx).
func (s *Server) campaignTargets(c *gin.Context) {
	if data, ok := s.loadCampaignCard(c); ok {
		s.renderBlock(c, http.StatusOK, "campaigns/card", "targets", s.newPage(c, data.Campaign.Name, "campaigns", data))
	}
}

// targetFilterFrom reads the target-list builder's filter.
func targetFilterFrom(q url.Values) models.TargetFilter {
	f := models.TargetFilter{Customer: customerFilterFrom(q, q.Get("kind")), Contacts: "primary"}
	if q.Get("contacts") == "all" {
		f.Contacts = "all"
	}
	if d := q.Get("last_from"); models.ValidDate(d) {
		f.Customer.LastFrom = d
	}
	if d := q.Get("last_to"); models.ValidDate(d) {
		f.Customer.LastTo = d
	}
	return f
}

type targetPreviewData struct {
	Total, WithEmail int
	First            []models.TargetCandidate
}

// previewTargets answers the live count while a target filter is built.
func (s *Server) previewTargets(c *gin.Context) {
	if _, ok := s.campaign(c); !ok {
		return
	}
	f := targetFilterFrom(c.Request.URL.Query())
	total, withEmail, first, err := s.db.PreviewTargets(c.Request.Context(), actor(c), f, 8)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderBlock(c, http.StatusOK, "campaigns/card", "target_preview",
		s.newPage(c, "", "campaigns", &targetPreviewData{Total: total, WithEmail: withEmail, First: first}))
}

func (s *Server) addTargetsByFilter(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	res, err := s.db.AddTargets(c.Request.Context(), actor(c), m.ID, targetFilterFrom(c.Request.PostForm))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flashTargetsAdded(c, res)
	redirect(c, fmt.Sprintf("/campaigns/%d#targets", m.ID))
}

// flashCount shows a message with a number on the next page. The number
// travels in the cookie after a "|", and only digits are accepted there.
func (s *Server) flashCount(c *gin.Context, key string, n int) {
	s.flash(c, key+"|"+strconv.Itoa(n))
}

// flashTargetsAdded says how many people were added to a campaign, and
// why the others were not: they are on its list already.
func (s *Server) flashTargetsAdded(c *gin.Context, res models.TargetsAdded) {
	if res.Already == 0 {
		s.flashCount(c, "campaign.targets_added", res.Added)
		return
	}
	s.flash(c, "campaign.targets_added_some|"+strconv.Itoa(res.Added)+"|"+strconv.Itoa(res.Already))
}

type customerPick struct {
	Rows       []models.CustomerRow
	CampaignID int64
}

// searchTargetCustomers finds customers and prospects to add by hand.
func (s *Server) searchTargetCustomers(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	q := truncate(strings.TrimSpace(c.Query("q")), 100)
	data := &customerPick{CampaignID: m.ID}
	if q != "" {
		for _, kind := range []string{"customer", "prospect"} {
			res, err := s.db.ListCustomers(c.Request.Context(), actor(c), models.CustomerFilter{Kind: kind, Q: q, Status: "active", PerPage: 8})
			if err != nil {
				s.fail(c, err)
				return
			}
			data.Rows = append(data.Rows, res.Rows...)
		}
	}
	s.renderBlock(c, http.StatusOK, "campaigns/card", "customer_pick", s.newPage(c, "", "campaigns", data))
}

func (s *Server) addTargetCustomer(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	id := formID(c.PostForm("customer"))
	res, err := s.db.AddTargetCustomersReport(c.Request.Context(), actor(c), m.ID, []int64{id})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flashTargetsAdded(c, res)
	redirect(c, fmt.Sprintf("/campaigns/%d#targets", m.ID))
}

// campaignTarget reads the route's campaign and target id (:tid); ok is
// false when the response was sent.
func (s *Server) campaignTarget(c *gin.Context) (*models.Campaign, int64, bool) {
	m, ok := s.campaign(c)
	if !ok {
		return nil, 0, false
	}
	tid, ok := idParam(c, "tid")
	if !ok {
		s.notFound(c)
		return nil, 0, false
	}
	return m, tid, true
}

func (s *Server) removeTarget(c *gin.Context) {
	m, tid, ok := s.campaignTarget(c)
	if !ok {
		return
	}
	if err := s.db.RemoveTarget(c.Request.Context(), actor(c), m.ID, tid); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.deleted")
	redirect(c, fmt.Sprintf("/campaigns/%d#targets", m.ID))
}

// saveTargetResult records notified/attended/head count/feedback for one
// person; htmx swaps the row in place.
func (s *Server) saveTargetResult(c *gin.Context) {
	m, tid, ok := s.campaignTarget(c)
	if !ok {
		return
	}
	t, err := s.db.GetTarget(c.Request.Context(), actor(c), m.ID, tid)
	if err != nil {
		s.fail(c, err)
		return
	}
	t.Notified = c.PostForm("notified") == "1"
	t.NotifiedHow = c.PostForm("notified_how")
	t.Attended = c.PostForm("attended") == "1"
	t.Feedback = strings.TrimSpace(c.PostForm("feedback"))
	t.HeadCount = typedCount(c.PostForm("head_count"))
	errs := t.Validate()
	status := http.StatusOK
	if errs.Any() {
		status = http.StatusUnprocessableEntity
	} else if err := s.db.SaveTargetResult(c.Request.Context(), actor(c), t); err != nil {
		s.fail(c, err)
		return
	}
	if isFragment(c) {
		data := map[string]any{"T": t, "CampaignID": m.ID}
		if status == http.StatusOK { // the card's figures, fresh
			if fresh, err := s.db.GetCampaign(c.Request.Context(), actor(c), m.ID); err == nil {
				data["Campaign"] = fresh
			}
		}
		p := s.newPage(c, "", "campaigns", data)
		p.Errors = errs
		if status == http.StatusOK {
			c.Header("HX-Trigger", toastTrigger(s.t(c, "flash.saved"), "info"))
		}
		s.renderBlock(c, status, "campaigns/card", "target_row_fragment", p)
		return
	}
	if errs.Any() {
		s.errorPage(c, http.StatusUnprocessableEntity, "error.bad_request")
		return
	}
	s.saved(c, fmt.Sprintf("/campaigns/%d#targets", m.ID))
}

func (s *Server) saveCampaignResults(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	errs := fieldErrors{}
	cost := strings.TrimSpace(c.PostForm("actual_cost"))
	var okCost bool
	if m.ActualCost, okCost = models.ParseFen(cost); !okCost {
		errs["actual_cost"] = "campaign.money_invalid"
	}
	m.Summary = strings.TrimSpace(c.PostForm("summary"))
	m.Leads, m.Opps = typedCount(c.PostForm("leads")), typedCount(c.PostForm("opportunities"))
	maps.Copy(errs, m.ValidateResults())
	if errs.Any() {
		data, err := s.campaignCard(c, m)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Results.ActualCost = cost
		s.renderCampaignCard(c, http.StatusUnprocessableEntity, data, errs)
		return
	}
	if err := s.db.SaveCampaignResults(c.Request.Context(), actor(c), m); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, fmt.Sprintf("/campaigns/%d#results", m.ID))
}

// typedCount reads a count typed in a form: blank is 0, anything not a
// whole number is -1, which the rules refuse.
func typedCount(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// campaignOptions fills the customer list's "add to campaign" select when
// it is first opened (htmx), so the list page itself costs no extra query.
func (s *Server) campaignOptions(c *gin.Context) {
	if !actor(c).UsesCampaigns() {
		s.notFound(c)
		return
	}
	var open []models.Campaign
	for _, st := range []string{"planning", "inviting"} {
		list, err := s.db.ListCampaigns(c.Request.Context(), actor(c), models.CampaignFilter{Status: st}, 100)
		if err != nil {
			s.fail(c, err)
			return
		}
		open = append(open, list...)
	}
	s.renderBlock(c, http.StatusOK, "campaigns/list", "options", s.newPage(c, "", "campaigns", open))
}

// addToCampaign is the customer list's batch action "add to campaign": the
// ticked rows, or every row matching the list's filter.
func (s *Server) addToCampaign(c *gin.Context, f models.CustomerFilter, back string) {
	campaignID := formID(c.PostForm("campaign"))
	m, err := s.db.GetCampaign(c.Request.Context(), actor(c), campaignID)
	if errors.Is(err, models.ErrNotFound) {
		s.flash(c, "batch.campaign_invalid")
		redirect(c, back)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.db.AddTargets(c.Request.Context(), actor(c), m.ID, models.TargetFilter{Customer: f, Contacts: "primary"})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flashTargetsAdded(c, res)
	redirect(c, fmt.Sprintf("/campaigns/%d#targets", m.ID))
}

// exportCampaigns downloads the campaign list (the user's filter, the
// campaigns they may see) with results and rates.
func (s *Server) exportCampaigns(c *gin.Context) {
	if !s.campaignAccess(c) {
		return
	}
	list, err := s.db.ListCampaigns(c.Request.Context(), actor(c), campaignFilterFrom(c.Request.URL.Query()), 100_000)
	if err != nil {
		s.fail(c, err)
		return
	}
	aux, w, ok := s.startExport(c, "campaigns")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "campaign.name", "campaign.type", "campaign.start", "campaign.end",
		"campaign.place", "campaign.budget", "field.owner", "field.status", "campaign.targets", "campaign.notified",
		"campaign.attendees", "campaign.response_rate", "campaign.attendance_rate", "campaign.actual_cost",
		"campaign.cost_per_attendee", "campaign.leads", "campaign.opportunities", "campaign.summary")...); err != nil {
		return
	}
	for _, m := range list {
		if err = w.WriteValues(m.Code, m.Name, aux.Name(m.TypeID), sheet.Date(m.StartDate), sheet.Date(m.EndDate), m.Place,
			sheet.Money(m.Budget), m.OwnerName, s.t(c, "campaign.status."+m.Status), m.TargetCount, m.NotifiedSum,
			m.AttendedSum, sheet.Percent(m.ResponseRate()/100), sheet.Percent(m.AttendanceRate()/100),
			sheet.Money(m.ActualCost), sheet.Money(m.CostPerAttendee()), m.Leads, m.Opps, m.Summary); err != nil {
			break
		}
	}
	s.finishDownload(w, "campaigns", err)
}
