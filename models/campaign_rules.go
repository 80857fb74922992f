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
	if !actor.SeesAllCampaigns() || (m.OwnerID == 0 && m.ID == 0) {
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
	if actor.SeesAllCampaigns() {
		u, err := db.UserByID(ctx, m.OwnerID)
		switch {
		case errors.Is(err, ErrNotFound):
			errs["owner"] = "validation.invalid_choice"
		case err != nil:
			return nil, err
		case !u.Active || !u.Role.Can(PermRecordsOwn):
			errs["owner"] = "validation.invalid_choice"
		}
	}
	return errs, nil
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
