package handlers

import (
	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
)

func (s *Server) exportActivities(c *gin.Context) {
	f := activityFilterFrom(c.Request.URL.Query())
	aux, w, ok := s.startExport(c, "activities")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.date", "field.start_time", "field.end_time", "field.salesperson",
		"field.counterpart", "field.contact", "field.method", "field.stage", "field.subject", "field.content",
		"field.result", "field.competitors", "field.next_subject", "field.next_date", "field.next_time")...); err != nil {
		return
	}
	err := s.db.EachActivity(c.Request.Context(), actor(c), f, func(a *models.Activity, competitors string) error {
		return w.WriteValues(a.Code, sheet.Date(a.Date), sheet.Clock(a.StartTime), sheet.Clock(a.EndTime), a.OwnerName,
			a.CustomerName, a.ContactName, aux.Name(a.MethodID), aux.Name(a.StageID), a.Subject, a.Content, a.Result,
			competitors, a.NextSubject, sheet.Date(a.NextDate), sheet.Clock(a.NextTime))
	})
	s.finishDownload(w, "activities", err)
}

func (s *Server) exportPlans(c *gin.Context) {
	q := c.Request.URL.Query()
	f := planFilterFrom(q, s.today())
	aux, w, ok := s.startExport(c, "plans")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.plan_date", "field.plan_time", "field.salesperson", "field.counterpart",
		"field.contact", "field.method", "field.subject", "field.content", "field.status", "field.origin")...); err != nil {
		return
	}
	err := s.db.EachPlan(c.Request.Context(), actor(c), f, func(p *models.Plan) error {
		return w.WriteValues(p.Code, sheet.Date(p.Date), sheet.Clock(p.Time), p.OwnerName, p.CustomerName, p.ContactName,
			aux.Name(p.MethodID), p.Subject, p.Content, s.t(c, "plan.status."+p.Status), s.t(c, "plan.origin."+p.Origin))
	})
	s.finishDownload(w, "plans", err)
}

func (s *Server) exportOpportunities(c *gin.Context) {
	f := opportunityFilterFrom(c.Request.URL.Query())
	f.Limit = 1_000_000
	list, err := s.db.ListOpportunities(c.Request.Context(), actor(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	aux, w, ok := s.startExport(c, "opportunities")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.opportunity_name", "field.counterpart", "field.amount_yuan",
		"field.expected_close", "field.stage", "field.probability", "field.owner", "field.status",
		"field.close_reason", "field.notes")...); err != nil {
		return
	}
	for _, o := range list {
		if err = w.WriteValues(o.Code, o.Name, o.CustomerName, sheet.Money(o.AmountFen), sheet.Date(o.ExpectedClose),
			aux.Name(o.StageID), sheet.Percent(float64(o.Probability)/100), o.OwnerName,
			s.t(c, "opportunity.status."+o.Status), o.CloseReason, o.Notes); err != nil {
			break
		}
	}
	s.finishDownload(w, "opportunities", err)
}
