package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Opportunities (商机): list, card, form, won/lost, and a pipeline board by
// sales stage whose cards move with htmx.

type opportunityListData struct {
	Filter   models.OpportunityFilter
	Rows     []models.Opportunity
	Owners   []models.User
	Statuses []string
	Total    int64
}

// TotalText is the listed amount as yuan text.
func (d *opportunityListData) TotalText() string { return models.FormatFen(d.Total) }

// opportunityFilterFrom reads the list filter; malformed values are dropped.
func opportunityFilterFrom(q url.Values) models.OpportunityFilter {
	f := models.OpportunityFilter{StageID: parseID(q.Get("stage")), OwnerID: parseID(q.Get("owner")),
		CustomerID: parseID(q.Get("customer")), Q: truncate(strings.TrimSpace(q.Get("q")), 100)}
	for _, st := range models.OpportunityStatuses {
		if q.Get("status") == st {
			f.Status = st
		}
	}
	return f
}

func (s *Server) listOpportunities(c *gin.Context) {
	a := actor(c)
	f := opportunityFilterFrom(c.Request.URL.Query())
	rows, err := s.db.ListOpportunities(c.Request.Context(), a, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &opportunityListData{Filter: f, Rows: rows, Statuses: models.OpportunityStatuses}
	for _, o := range rows {
		data.Total += o.AmountFen
	}
	if data.Owners, err = s.ownerChoices(c); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "opportunity.list.title"), "opportunities", data)
	s.renderTargeted(c, http.StatusOK, "opportunities/list", p, "results", "results")
}

type boardColumn struct {
	Stage models.AuxItem // ID 0: no stage yet
	Prev  int64
	Next  int64
	Cards []models.Opportunity
	Sum   int64
}

// SumText is the column's total as yuan text.
func (b boardColumn) SumText() string { return models.FormatFen(b.Sum) }

type boardData struct {
	Columns []boardColumn
	Stages  []models.AuxItem
}

// board is the pipeline: open opportunities in one column per sales stage.
func (s *Server) board(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	rows, err := s.db.ListOpportunities(ctx, a, models.OpportunityFilter{Status: "open", OwnerID: parseID(c.Query("owner")), Limit: 2000})
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "opportunity.board.title"), "opportunities", nil)
	var stages []models.AuxItem
	for _, st := range p.Aux.Options("sales_stage") {
		stages = append(stages, st)
	}
	data := &boardData{Stages: stages}
	cols := []boardColumn{{}}
	index := map[int64]int{0: 0}
	for _, st := range stages {
		index[st.ID] = len(cols)
		cols = append(cols, boardColumn{Stage: st})
	}
	for i := range cols {
		if i > 1 {
			cols[i].Prev = cols[i-1].Stage.ID
		}
		if i > 0 && i+1 < len(cols) {
			cols[i].Next = cols[i+1].Stage.ID
		}
	}
	for _, o := range rows {
		i, ok := index[o.StageID]
		if !ok {
			i = 0 // a stage since deactivated shows with "no stage"
		}
		cols[i].Cards = append(cols[i].Cards, o)
		cols[i].Sum += o.AmountFen
	}
	if len(cols[0].Cards) == 0 {
		cols = cols[1:]
	}
	data.Columns = cols
	p.Data = data
	s.renderTargeted(c, http.StatusOK, "opportunities/board", p, "board", "board")
}

// moveOpportunity changes an open opportunity's stage from the board and
// answers with the board again.
func (s *Server) moveOpportunity(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	stage := formID(c.PostForm("stage"))
	if ok, err := s.db.CheckAuxItem(c.Request.Context(), "sales_stage", stage); err != nil {
		s.fail(c, err)
		return
	} else if !ok {
		s.errorPage(c, http.StatusUnprocessableEntity, "validation.invalid_choice")
		return
	}
	if err := s.db.MoveOpportunity(c.Request.Context(), actor(c), id, stage); err != nil {
		s.fail(c, err)
		return
	}
	if isFragment(c) {
		c.Request.Header.Set("HX-Target", "board")
		c.Request.Method = http.MethodGet
		s.board(c)
		return
	}
	redirect(c, "/opportunities/board")
}

type opportunityForm struct {
	Opportunity   models.Opportunity
	CustomerLabel string
	Amount        string
	Probability   string
}

type opportunityFormData struct {
	salesFormParts
	Form    opportunityForm
	Editing bool
}

func (s *Server) renderOpportunityForm(c *gin.Context, status int, f opportunityForm, editing bool, errs fieldErrors) {
	parts, ok := s.salesFormParts(c, f.Opportunity.CustomerID, false, errs)
	if !ok {
		return
	}
	data := &opportunityFormData{salesFormParts: parts, Form: f, Editing: editing}
	s.renderForm(c, status, "opportunities/form", errs, s.formTitle(c, "opportunity", editing, f.Opportunity.Code), "opportunities", data)
}

func (s *Server) newOpportunity(c *gin.Context) {
	a := actor(c)
	f := opportunityForm{Opportunity: models.Opportunity{OwnerID: a.ID}, Probability: "10"}
	id, label, ok := s.queryCounterpart(c)
	if !ok {
		return
	}
	f.Opportunity.CustomerID, f.CustomerLabel = id, label
	s.renderOpportunityForm(c, http.StatusOK, f, false, nil)
}

func (s *Server) editOpportunity(c *gin.Context) {
	o, _, ok := loadRecord(s, c, s.db.GetOpportunity)
	if !ok {
		return
	}
	s.renderOpportunityForm(c, http.StatusOK, opportunityForm{Opportunity: *o, CustomerLabel: o.CustomerName,
		Amount: models.FormatFen(o.AmountFen), Probability: strconv.Itoa(o.Probability)}, true, nil)
}

func (s *Server) saveOpportunity(c *gin.Context, id int64) {
	ctx := c.Request.Context()
	a := actor(c)
	var oldOwner int64
	if id != 0 {
		old, err := s.db.GetOpportunity(ctx, a, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		oldOwner = old.OwnerID
	}
	f := opportunityForm{Opportunity: models.Opportunity{ID: id, Name: strings.TrimSpace(c.PostForm("name")),
		CustomerID: formID(c.PostForm("customer")), OwnerID: formID(c.PostForm("owner")),
		ExpectedClose: strings.TrimSpace(c.PostForm("expected_close")), StageID: formID(c.PostForm("stage")),
		Notes: strings.TrimSpace(c.PostForm("notes"))},
		CustomerLabel: truncate(strings.TrimSpace(c.PostForm("customer_label")), 200),
		Amount:        strings.TrimSpace(c.PostForm("amount")), Probability: strings.TrimSpace(c.PostForm("probability"))}
	o := &f.Opportunity
	if o.OwnerID == 0 {
		o.OwnerID = oldOwner
	}
	// The form's text fields are parsed here; the rules are the models'.
	var amountOK bool
	probabilityOK := true
	o.AmountFen, amountOK = models.ParseFen(f.Amount)
	if p, err := strconv.Atoi(f.Probability); err != nil {
		probabilityOK = false
	} else {
		o.Probability = p
	}
	errs, err := s.db.CheckOpportunity(ctx, a, o)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !amountOK {
		errs["amount"] = "opportunity.amount_invalid"
	}
	if !probabilityOK {
		errs["probability"] = "opportunity.probability_invalid"
	}
	s.counterpartLabel(c, o.CustomerID, &f.CustomerLabel, errs)
	if errs.Any() {
		s.renderOpportunityForm(c, http.StatusUnprocessableEntity, f, id != 0, errs)
		return
	}
	if err := s.db.SaveOpportunity(ctx, a, o); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok {
			s.renderOpportunityForm(c, http.StatusUnprocessableEntity, f, id != 0, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("opportunity", o.ID))
}

type opportunityCardData struct {
	Opportunity *models.Opportunity
	History     []historyLine
	CanEdit     bool
	Reason      string
}

func (s *Server) showOpportunity(c *gin.Context) {
	s.renderOpportunity(c, http.StatusOK, "", nil)
}

func (s *Server) renderOpportunity(c *gin.Context, status int, reason string, errs fieldErrors) {
	o, id, ok := loadRecord(s, c, s.db.GetOpportunity)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a := actor(c)
	data := &opportunityCardData{Opportunity: o, CanEdit: a.EditsActivities(), Reason: reason}
	p := s.newPage(c, o.Name, "opportunities", data)
	p.Errors = errs
	entries, err := s.db.History(ctx, "opportunity", id, 50)
	if err != nil {
		s.fail(c, err)
		return
	}
	if data.History, err = s.withComments(c, "opportunity", id, s.describeHistory(c, "opportunity", entries, p.Aux)); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "opportunities/show", p)
}

// closeOpportunity marks it won or lost (a reason is required for lost) or
// reopens it.
func (s *Server) closeOpportunity(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	status := c.PostForm("status")
	reason := strings.TrimSpace(c.PostForm("reason"))
	if errs := models.CheckClosing(status, reason); errs.Any() {
		s.renderOpportunity(c, http.StatusUnprocessableEntity, reason, errs)
		return
	}
	if err := s.db.CloseOpportunity(c.Request.Context(), actor(c), id, status, reason); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("opportunity", id))
}
