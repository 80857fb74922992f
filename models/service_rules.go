package models

import (
	"context"
	"errors"
	"time"
)

// The rules of customer issues and knowledge articles, for the forms and
// every other door: the field rules in Validate, the database's in
// CheckIssue; CreateIssue, UpdateIssue and SaveArticle run them again.

// Validate checks an issue's own fields. ReportedAt is RFC 3339 (or empty:
// now); editing requires a valid status.
func (i *Issue) Validate(editing bool) FieldErrors {
	errs := FieldErrors{}
	if i.Subject == "" {
		errs["subject"] = "validation.required"
	}
	errs.tooLong("subject", i.Subject, 200)
	errs.tooLong("description", i.Description, 10000)
	if i.CustomerID == 0 {
		errs["customer"] = "validation.required"
	}
	if !ValidIssueChannel(i.Channel) {
		errs["channel"] = "validation.invalid_choice"
	}
	if !ValidIssuePriority(i.Priority) {
		errs["priority"] = "validation.invalid_choice"
	}
	if i.ReportedAt != "" {
		if _, err := time.Parse(time.RFC3339, i.ReportedAt); err != nil {
			errs["reported_at"] = "validation.datetime"
		}
	}
	if editing && (i.Status == "" || !ValidIssueStatus(i.Status)) {
		errs["status"] = "validation.invalid_choice"
	}
	return errs
}

// CheckIssue is every rule of an issue: its fields, a customer the actor may
// see with a contact of its own, the issue type, an assignee who is active
// and handles service.
func (db *DB) CheckIssue(ctx context.Context, actor Actor, i *Issue, editing bool) (FieldErrors, error) {
	errs := i.Validate(editing)
	if i.CustomerID != 0 {
		if _, err := db.IssueCustomer(ctx, actor, i.CustomerID); errors.Is(err, ErrNotFound) {
			errs["customer"] = "validation.invalid_choice"
		} else if err != nil {
			return nil, err
		}
	}
	if i.ContactID != 0 && errs["customer"] == "" {
		if _, err := db.GetContact(ctx, actor, i.CustomerID, i.ContactID); errors.Is(err, ErrNotFound) {
			errs["contact"] = "validation.invalid_choice"
		} else if err != nil {
			return nil, err
		}
	}
	if err := db.CheckAux(ctx, errs, "type", "issue_type", i.TypeID); err != nil {
		return nil, err
	}
	if i.AssigneeID != 0 {
		u, err := db.UserByID(ctx, i.AssigneeID)
		switch {
		case errors.Is(err, ErrNotFound):
			errs["assignee"] = "validation.invalid_choice"
		case err != nil:
			return nil, err
		case !u.Active || !db.RoleCan(u.Role, PermServiceEdit):
			errs["assignee"] = "validation.invalid_choice"
		}
	}
	return errs, nil
}

// Validate checks an article's own fields.
func (a *Article) Validate() FieldErrors {
	errs := FieldErrors{}
	if a.Title == "" {
		errs["title"] = "validation.required"
	}
	errs.tooLong("title", a.Title, 200)
	errs.tooLong("symptom", a.Symptom, 10000)
	errs.tooLong("solution", a.Solution, 50000)
	errs.tooLong("keywords", a.Keywords, 300)
	return errs
}

// CheckArticle is every rule of an article: its fields and its category.
func (db *DB) CheckArticle(ctx context.Context, a *Article) (FieldErrors, error) {
	errs := a.Validate()
	return errs, db.CheckAux(ctx, errs, "category", "issue_type", a.CategoryID)
}

// CheckHandling is every rule of a handling record added to iss, with the
// status it moves the issue to ("" keeps it).
func (db *DB) CheckHandling(ctx context.Context, iss *Issue, h *Handling, newStatus string) (FieldErrors, error) {
	errs := FieldErrors{}
	if !ValidDate(h.HandledOn) {
		errs["handled_on"] = "validation.date"
	}
	if h.Content == "" {
		errs["content"] = "validation.required"
	}
	errs.tooLong("content", h.Content, 20000)
	errs.tooLong("result", h.Result, 500)
	if newStatus != "" && newStatus != "handling" && newStatus != "resolved" && newStatus != "closed" {
		errs["new_status"] = "validation.invalid_choice"
	}
	if iss.Status == "archived" {
		errs["content"] = "issue.archived_no_handling"
	}
	return errs, db.CheckAux(ctx, errs, "method", "handling_method", h.MethodID)
}
