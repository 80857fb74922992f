package models

import (
	"strings"
	"testing"
)

// TestCampaignResultRules: a person's result and a campaign's results are
// checked in models, so the card's forms and the API refuse alike.
func TestCampaignResultRules(t *testing.T) {
	for _, tt := range []struct {
		target Target
		field  string
	}{
		{Target{NotifiedHow: "pigeon"}, "notified_how"},
		{Target{HeadCount: -1}, "head_count"},
		{Target{HeadCount: MaxHeadCount + 1}, "head_count"},
		{Target{Feedback: strings.Repeat("好", 2001)}, "feedback"},
	} {
		if errs := tt.target.Validate(); errs[tt.field] == "" {
			t.Errorf("%+v: no error on %s (%v)", tt.target, tt.field, errs)
		}
	}
	ok := Target{Notified: true, Attended: true}
	if errs := ok.Validate(); errs.Any() || ok.NotifiedHow != "phone" || ok.HeadCount != 1 {
		t.Errorf("a notified person who came: %v, how %q, head count %d", errs, ok.NotifiedHow, ok.HeadCount)
	}
	for _, tt := range []struct {
		m     Campaign
		field string
	}{
		{Campaign{Leads: -1}, "leads"},
		{Campaign{Opps: MaxCampaignCount + 1}, "opportunities"},
		{Campaign{ActualCost: -5}, "actual_cost"},
		{Campaign{Summary: strings.Repeat("好", 5001)}, "summary"},
	} {
		if errs := tt.m.ValidateResults(); errs[tt.field] == "" {
			t.Errorf("%+v: no error on %s (%v)", tt.m, tt.field, errs)
		}
	}
}
