package handlers

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// The customer and prospect card, with its change history.

type historyLine struct {
	At      string
	User    string
	Action  string
	Changes []historyChange
	Comment string // a comment's text, when the line is one
	// HTML is the line as the timeline shows it (writeHistoryLine), written
	// when the line is made.
	HTML template.HTML
}

// timelineComments is how many of the newest comments the timeline shows;
// the files panel below the card holds the whole thread.
const timelineComments = 20

// withComments puts the record's newest comments into its history lines
// (newest first), so that the timeline tells what was said beside what was
// changed.
func (s *Server) withComments(c *gin.Context, kind string, id int64, lines []historyLine) ([]historyLine, error) {
	comments, _, err := s.db.Comments(c.Request.Context(), actor(c), kind, id, timelineComments)
	if err != nil {
		return nil, err
	}
	system := s.t(c, "history.system")
	out := make([]historyLine, 0, len(lines)+len(comments))
	out = append(out, lines...)
	for _, cm := range comments {
		line := historyLine{At: cm.CreatedAt, User: cm.AuthorName, Action: s.t(c, "comments.timeline"), Comment: cm.Body}
		if cm.Deleted {
			line.Comment = s.t(c, "comments.deleted")
		}
		line.HTML = writeHistoryLine(line, system, s.localTime)
		out = append(out, line)
	}
	slices.SortStableFunc(out, func(a, b historyLine) int { return strings.Compare(b.At, a.At) })
	return out, nil
}

type historyChange struct {
	Field, Old, New string
}

type customerCardData struct {
	K             customerKind
	Customer      *models.Customer
	Contacts      []models.Contact
	History       []historyLine
	ConvertedTo   string
	ConvertedFrom struct {
		ID   int64
		Code string
	}
	CanEdit   bool
	Campaigns []models.CustomerCampaign
	// Business activities of this counterpart (activities.go and friends).
	NextPlan      *models.Plan
	Activities    models.ActivityPage
	Opportunities []models.Opportunity
	CanActivity   bool
	SeesSales     bool // the sales module's history above; not for service staff
	// Issues are the customer's open issues (customers only).
	Issues      []models.Issue
	CanHandle   bool
	CanRegister bool // may register an issue for this customer
}

// describeHistory turns audit entries into readable lines: ids of items and
// users become names, field names become labels.
// historyStatus is the message prefix of each record kind's statuses.
var historyStatus = map[string]string{"customer": "status.", "prospect": "status.", "plan": "plan.status.",
	"opportunity": "opportunity.status.", "campaign": "campaign.status.", "issue": "issue.status.", "activity": "status."}

// describeHistory shows a record's history in the user's language: every
// value by its label (category item, user, status), and a creation as the
// values it was created with, not as a change from zero.
func (s *Server) describeHistory(c *gin.Context, kind string, entries []models.AuditEntry, aux models.AuxLookup) []historyLine {
	ctx := c.Request.Context()
	users := map[int64]string{}
	userName := func(v string) string {
		id := parseID(v)
		if id == 0 {
			return ""
		}
		if n, ok := users[id]; ok {
			return n
		}
		n := v
		if u, err := s.db.UserByID(ctx, id); err == nil {
			n = u.DisplayName
		}
		users[id] = n
		return n
	}
	auxNames := func(v string) string {
		var names []string
		for _, part := range strings.Split(v, ",") {
			if id := parseID(part); id != 0 {
				names = append(names, aux.Name(id))
			}
		}
		return strings.Join(names, "、")
	}
	system := s.t(c, "history.system")
	out := make([]historyLine, 0, len(entries))
	for _, e := range entries {
		line := historyLine{At: e.At, User: e.UserName, Action: s.t(c, "history.action."+e.Action)}
		if name, ok := strings.CutPrefix(e.Via, models.ViaAPIToken); ok {
			line.User = s.t(c, "api.via", line.User, name)
		}
		for _, ch := range e.Changes {
			hc := historyChange{Field: s.t(c, "field."+ch.Field), Old: ch.Old, New: ch.New}
			switch ch.Field {
			case "industry", "source", "grade", "region", "stage", "traits", "method", "type", "category":
				hc.Old, hc.New = auxNames(ch.Old), auxNames(ch.New)
			case "owner", "assignee":
				hc.Old, hc.New = userName(ch.Old), userName(ch.New)
			case "status":
				prefix := historyStatus[kind]
				if prefix == "" {
					prefix = "status."
				}
				hc.Old, hc.New = "", ""
				if ch.Old != "" {
					hc.Old = s.t(c, prefix+ch.Old)
				}
				if ch.New != "" {
					hc.New = s.t(c, prefix+ch.New)
				}
			}
			if e.Action == "create" {
				// A new record had nothing before: show what it was created with.
				hc.Old = ""
				if hc.New == "" || hc.New == "0" || hc.New == "0.00" {
					continue
				}
			}
			line.Changes = append(line.Changes, hc)
		}
		line.HTML = writeHistoryLine(line, system, s.localTime)
		out = append(out, line)
	}
	return out
}

func (s *Server) showCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	a := actor(c)
	cu, err := s.db.GetCustomer(ctx, a, k.kind, id)
	if errors.Is(err, models.ErrNotFound) && s.mergedRedirect(c, k, id) {
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &customerCardData{K: k, Customer: cu, CanEdit: a.EditsCustomers()}
	if data.Contacts, err = s.db.Contacts(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	entries, err := s.db.History(ctx, k.kind, id, 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, cu.Name, k.nav, data)
	if data.History, err = s.withComments(c, k.kind, id, s.describeHistory(c, k.kind, entries, p.Aux)); err != nil {
		s.fail(c, err)
		return
	}
	if cu.ConvertedToID != 0 {
		if to, err := s.db.GetCustomer(ctx, models.SystemActor(), "customer", cu.ConvertedToID); err == nil {
			data.ConvertedTo = to.Code
		}
	}
	if data.Campaigns, err = s.db.CustomerCampaigns(ctx, a, id); err != nil {
		s.fail(c, err)
		return
	}
	if k.kind == "customer" {
		if data.ConvertedFrom.ID, data.ConvertedFrom.Code, err = s.db.ConvertedFrom(ctx, id); err != nil {
			s.fail(c, err)
			return
		}
		if data.Issues, err = s.db.CustomerOpenIssues(ctx, a, id, 10); err != nil {
			s.fail(c, err)
			return
		}
		data.CanHandle = a.HandlesService()
		data.CanRegister = a.Can(models.PermServiceCreate)
	}
	// The sales history (latest activity, plans, activity records,
	// opportunities and their amounts) is for those who may see the sales
	// module: service staff read the card without it (README, "Roles").
	data.SeesSales = a.SeesActivities()
	if !data.SeesSales {
		s.render(c, http.StatusOK, "customers/card", p)
		return
	}
	data.CanActivity = a.EditsActivities() && cu.Status != "converted"
	if data.NextPlan, err = s.db.NextPlan(ctx, a, id, day(s.today())); err != nil {
		s.fail(c, err)
		return
	}
	if data.Activities, err = s.db.ListActivities(ctx, a, models.ActivityFilter{SalesFilter: models.SalesFilter{CustomerID: id, PerPage: 10}}); err != nil {
		s.fail(c, err)
		return
	}
	if data.Opportunities, err = s.db.ListOpportunities(ctx, a, models.OpportunityFilter{CustomerID: id, Limit: 50}); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "customers/card", p)
}
