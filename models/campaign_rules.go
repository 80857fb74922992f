package models

import (
	"context"
	"errors"
	"slices"
)

// Validate checks a campaign's own fields (the budget is parsed by the
// caller).
func (m *Campaign) Validate() FieldErrors {
	errs := FieldErrors{}
	if m.Name == "" {
		errs["name"] = "validation.required"
	}
	errs.tooLong("name", m.Name, 200)
	errs.tooLong("place", m.Place, 200)
	errs.tooLong("description", m.Description, 5000)
	if !ValidDate(m.StartDate) {
		errs["start_date"] = "validation.date"
	}
	if !ValidDate(m.EndDate) {
		errs["end_date"] = "validation.date"
	} else if m.EndDate < m.StartDate {
		errs["end_date"] = "campaign.end_before_start"
	}
	if m.Status != "" && !slices.Contains(CampaignStatuses, m.Status) {
		errs["status"] = "validation.invalid_choice"
	}
	return errs
}

// CheckCampaign is every rule of a campaign: its fields, its type, and its
// owner (a salesperson's campaigns are their own; a manager names an active
// user who may own records, or keeps the current owner).
func (db *DB) CheckCampaign(ctx context.Context, actor Actor, m *Campaign) (FieldErrors, error) {
	if !actor.SeesBeyondOwn(ModCampaigns) || (m.OwnerID == 0 && m.ID == 0) {
		m.OwnerID = actor.ID
	}
	errs := m.Validate()
	// A campaign that has not begun cannot be over.
	if m.Status == "done" && errs["start_date"] == "" && m.StartDate > db.LocalNow().Format("2006-01-02") {
		errs["status"] = "campaign.done_before_start"
	}
	if err := db.CheckAux(ctx, errs, "type", "campaign_type", m.TypeID); err != nil {
		return nil, err
	}
	if actor.SeesBeyondOwn(ModCampaigns) {
		u, err := db.UserByID(ctx, m.OwnerID)
		switch {
		case errors.Is(err, ErrNotFound):
			errs["owner"] = "validation.invalid_choice"
		case err != nil:
			return nil, err
		case !u.Active || !db.RoleCan(u.Role, PermCustomersCreate) || !actor.Sees(ModCampaigns, m.OwnerID):
			errs["owner"] = "validation.invalid_choice"
		}
	}
	return errs, nil
}

// TargetNotifyMethods are how a person may have been invited.
var TargetNotifyMethods = []string{"email", "phone", "visit", "other"}

// MaxHeadCount bounds the people one invitation may bring.
const MaxHeadCount = 10000

// Validate checks one person's result on a campaign: how they were
// invited, how many came, their feedback. A notified person without a
// method counts as phoned, and one who came brought at least themself.
func (t *Target) Validate() FieldErrors {
	errs := FieldErrors{}
	if t.NotifiedHow != "" && !slices.Contains(TargetNotifyMethods, t.NotifiedHow) {
		errs["notified_how"] = "validation.invalid_choice"
	}
	if t.Notified && t.NotifiedHow == "" {
		t.NotifiedHow = "phone"
	}
	if t.HeadCount < 0 || t.HeadCount > MaxHeadCount {
		errs["head_count"] = "validation.number"
	}
	if t.Attended && t.HeadCount == 0 {
		t.HeadCount = 1
	}
	errs.tooLong("feedback", t.Feedback, 2000)
	return errs
}

// MaxCampaignCount bounds a campaign's counted leads and opportunities.
const MaxCampaignCount = 1_000_000

// ValidateResults checks what a campaign brought (the cost is parsed by
// the caller).
func (m *Campaign) ValidateResults() FieldErrors {
	errs := FieldErrors{}
	errs.tooLong("summary", m.Summary, 5000)
	if m.Leads < 0 || m.Leads > MaxCampaignCount {
		errs["leads"] = "validation.number"
	}
	if m.Opps < 0 || m.Opps > MaxCampaignCount {
		errs["opportunities"] = "validation.number"
	}
	if m.ActualCost < 0 {
		errs["actual_cost"] = "campaign.money_invalid"
	}
	return errs
}

// Validate checks a competitor's fields.
func (c *Competitor) Validate() FieldErrors {
	errs := FieldErrors{}
	if c.Name == "" {
		errs["name"] = "validation.required"
	}
	errs.tooLong("name", c.Name, 100)
	errs.tooLong("strengths", c.Strengths, 2000)
	errs.tooLong("weaknesses", c.Weaknesses, 2000)
	errs.tooLong("notes", c.Notes, 5000)
	return errs
}
