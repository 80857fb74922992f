package models

import (
	"context"
	"errors"
	"strings"
	"time"
)

// The rules of activity records and plans, for the forms and every other
// door (the API next): the field rules in Validate, the database's in
// CheckActivity and CheckPlan, which SaveActivity and SavePlan run again.

// Date limits for every date the activity screens accept.
const (
	MinDay = "2000-01-01"
	MaxDay = "2100-12-31"
)

// ValidDayInRange reports whether s is a real YYYY-MM-DD date inside the
// limits.
func ValidDayInRange(s string) bool { return ValidDay(s) && s >= MinDay && s <= MaxDay }

// ValidClock reports whether s is HH:MM.
func ValidClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// Validate checks a record's own fields; today is the business's date (a
// record may be dated at most a year ahead).
func (a *Activity) Validate(today time.Time) FieldErrors {
	errs := FieldErrors{}
	latest := today.AddDate(1, 0, 0).Format("2006-01-02")
	switch {
	case a.Date == "":
		errs["date"] = "validation.required"
	case !ValidDayInRange(a.Date) || a.Date > latest:
		errs["date"] = "activity.date_range"
	}
	for _, fld := range []struct{ name, v string }{{"start_time", a.StartTime}, {"end_time", a.EndTime}, {"next_time", a.NextTime}} {
		if fld.v != "" && !ValidClock(fld.v) {
			errs[fld.name] = "validation.time"
		}
	}
	if a.StartTime != "" && a.EndTime != "" && errs["start_time"] == "" && errs["end_time"] == "" && a.EndTime <= a.StartTime {
		errs["end_time"] = "activity.end_before_start"
	}
	if a.NextDate != "" {
		if !ValidDayInRange(a.NextDate) {
			errs["next_date"] = "activity.date_range"
		} else if errs["date"] == "" && a.Date != "" && a.NextDate < a.Date {
			errs["next_date"] = "activity.next_before_date"
		}
	}
	if a.Subject == "" {
		errs["subject"] = "validation.required"
	}
	errs.tooLong("subject", a.Subject, 200)
	errs.tooLong("content", a.Content, 5000)
	errs.tooLong("result", a.Result, 2000)
	errs.tooLong("next_subject", a.NextSubject, 200)
	for _, m := range a.Mentions {
		errs.tooLong("competitors", m.Note, 200)
	}
	return errs
}

// Validate checks a plan's own fields.
func (p *Plan) Validate() FieldErrors {
	errs := FieldErrors{}
	switch {
	case p.Date == "":
		errs["date"] = "validation.required"
	case !ValidDayInRange(p.Date):
		errs["date"] = "activity.date_range"
	}
	if p.Time != "" && !ValidClock(p.Time) {
		errs["time"] = "validation.time"
	}
	if p.Subject == "" {
		errs["subject"] = "validation.required"
	}
	errs.tooLong("subject", p.Subject, 200)
	errs.tooLong("content", p.Content, 5000)
	if p.RemindMinutes < -1 {
		errs["remind"] = "validation.invalid_choice"
	}
	if p.Status != "" && p.Status != "planned" && p.Status != "cancelled" && p.Status != "done" {
		errs["status"] = "validation.invalid_choice"
	}
	return errs
}

// CheckAux records a refusal under field unless id is 0 or an item of list
// typ; only a database failure is the error. The other forms' category
// fields are checked with it.
func (db *DB) CheckAux(ctx context.Context, errs FieldErrors, field, typ string, id int64) error {
	ok, err := db.auxChoiceOK(ctx, typ, id, id) // an item already chosen may be inactive
	if err != nil {
		return err
	}
	if !ok {
		errs[field] = "validation.invalid_choice"
	}
	return nil
}

// checkSalesOwner applies and checks the owner of a record or plan: a
// salesperson's are their own; a manager may pick an active user who may
// own records.
func (db *DB) checkSalesOwner(ctx context.Context, actor Actor, owner *int64, errs FieldErrors) error {
	if !actor.SeesBeyondOwn(ModActivities) || *owner == 0 {
		*owner = actor.ID
		return nil
	}
	u, err := db.UserByID(ctx, *owner)
	switch {
	case errors.Is(err, ErrNotFound):
		errs["owner"] = "validation.invalid_choice"
	case err != nil:
		return err
	case !u.Active || !db.RoleCan(u.Role, PermCustomersCreate) || !actor.Sees(ModActivities, *owner):
		errs["owner"] = "validation.invalid_choice"
	}
	return nil
}

// checkCounterpart: the customer or prospect must be one the actor may work
// with (not converted), and the contact one of its contacts. A refusal is
// a field error, so the form comes back with what was typed.
func (db *DB) checkCounterpart(ctx context.Context, actor Actor, customerID, contactID int64, errs FieldErrors) error {
	if customerID == 0 {
		errs["customer"] = "validation.required"
		return nil
	}
	if _, err := db.GetCounterpart(ctx, actor, customerID); errors.Is(err, ErrNotFound) {
		errs["customer"] = "activity.counterpart_invalid"
		return nil
	} else if err != nil {
		return err
	}
	ok, err := db.ContactBelongs(ctx, customerID, contactID)
	if err != nil {
		return err
	}
	if !ok {
		errs["contact"] = "validation.invalid_choice"
	}
	return nil
}

// CheckActivity is every rule of an activity record: its fields, the
// category items, the competitors named, the owner and the counterpart.
func (db *DB) CheckActivity(ctx context.Context, actor Actor, a *Activity) (FieldErrors, error) {
	now := db.LocalNow()
	errs := a.Validate(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location()))
	if err := db.CheckAux(ctx, errs, "method", "activity_method", a.MethodID); err != nil {
		return nil, err
	}
	if err := db.CheckAux(ctx, errs, "stage", "sales_stage", a.StageID); err != nil {
		return nil, err
	}
	for _, m := range a.Mentions {
		if _, err := db.GetCompetitor(ctx, m.CompetitorID); errors.Is(err, ErrNotFound) {
			errs["competitors"] = "validation.invalid_choice"
		} else if err != nil {
			return nil, err
		}
	}
	if err := db.checkSalesOwner(ctx, actor, &a.OwnerID, errs); err != nil {
		return nil, err
	}
	return errs, db.checkCounterpart(ctx, actor, a.CustomerID, a.ContactID, errs)
}

// CheckPicked refuses a counterpart typed into the picker but not chosen
// from its list (a form sent without script, or a name changed after the
// choice). A plan's customer may be left empty, so the plan would otherwise
// become a personal task without anyone noticing.
func CheckPicked(errs FieldErrors, customerID int64, typed string) {
	if customerID == 0 && strings.TrimSpace(typed) != "" && errs["customer"] == "" {
		errs["customer"] = "plan.customer_not_picked"
	}
}

// CheckPlan is every rule of a plan.
func (db *DB) CheckPlan(ctx context.Context, actor Actor, p *Plan) (FieldErrors, error) {
	errs := p.Validate()
	if err := db.CheckAux(ctx, errs, "method", "activity_method", p.MethodID); err != nil {
		return nil, err
	}
	if err := db.checkSalesOwner(ctx, actor, &p.OwnerID, errs); err != nil {
		return nil, err
	}
	if p.CustomerID == 0 {
		// A personal task (待办), such as "prepare the quarterly report":
		// no customer, so no contact of one either.
		if p.ContactID != 0 {
			errs["contact"] = "validation.invalid_choice"
		}
		return errs, nil
	}
	return errs, db.checkCounterpart(ctx, actor, p.CustomerID, p.ContactID, errs)
}

// Validate checks an opportunity's own fields (the amount and probability
// are parsed by the caller: their refusals are the caller's).
func (o *Opportunity) Validate() FieldErrors {
	errs := FieldErrors{}
	if o.Name == "" {
		errs["name"] = "validation.required"
	}
	errs.tooLong("name", o.Name, 200)
	errs.tooLong("notes", o.Notes, 5000)
	if o.Probability < 0 || o.Probability > 100 {
		errs["probability"] = "opportunity.probability_invalid"
	}
	if o.ExpectedClose != "" && !ValidDayInRange(o.ExpectedClose) {
		errs["expected_close"] = "activity.date_range"
	}
	return errs
}

// CheckOpportunity is every rule of an opportunity.
func (db *DB) CheckOpportunity(ctx context.Context, actor Actor, o *Opportunity) (FieldErrors, error) {
	errs := o.Validate()
	if err := db.CheckAux(ctx, errs, "stage", "sales_stage", o.StageID); err != nil {
		return nil, err
	}
	if err := db.checkSalesOwner(ctx, actor, &o.OwnerID, errs); err != nil {
		return nil, err
	}
	return errs, db.checkCounterpart(ctx, actor, o.CustomerID, 0, errs)
}
