package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Duplicates and merges (issue 12): the managers' list of possible
// duplicates, and the screen that merges two or three records into one
// (models/merge.go). Both need team.manage; anyone else gets a 404.

type duplicatesData struct {
	K      customerKind
	Groups []models.DupGroup
}

// Path is a member's card.
func (d duplicatesData) Path(id int64) string { return views.Path(d.K.kind, id) }

// MergeLink is the merge screen for a group (its first three records).
func (d duplicatesData) MergeLink(g models.DupGroup) string {
	var q []string
	for i, m := range g.Members {
		if i == 3 {
			break
		}
		q = append(q, "id="+strconv.FormatInt(m.ID, 10))
	}
	return d.K.base + "/merge?" + strings.Join(q, "&")
}

func (s *Server) duplicatesReport(c *gin.Context, k customerKind) {
	if !actor(c).Can(models.PermCustomersManage) {
		s.notFound(c)
		return
	}
	groups, err := s.db.DuplicateGroups(c.Request.Context(), actor(c), k.kind, 200)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "customers/duplicates", s.newPage(c, s.t(c, "merge.report_title"), k.nav,
		&duplicatesData{K: k, Groups: groups}))
}

type mergeData struct {
	K       customerKind
	Records []*models.Customer
	Fields  []string
	Pick    map[string]int64
	aux     models.AuxLookup
	status  func(string) string
}

// Value is what record r holds in field f, as the screen shows it.
func (d *mergeData) Value(r *models.Customer, f string) string {
	switch f {
	case "name":
		return r.Name
	case "short_name":
		return r.ShortName
	case "industry":
		return d.aux.Name(r.IndustryID)
	case "source":
		return d.aux.Name(r.SourceID)
	case "grade":
		return d.aux.Name(r.GradeID)
	case "region":
		return d.aux.Name(r.RegionID)
	case "stage":
		return d.aux.Name(r.StageID)
	case "traits":
		var names []string
		for _, id := range r.TraitIDs {
			names = append(names, d.aux.Name(id))
		}
		return strings.Join(names, "、")
	case "address":
		return r.Address
	case "phone":
		return r.Phone
	case "email":
		return r.Email
	case "website":
		return r.Website
	case "owner":
		return r.OwnerName
	case "status":
		return d.status(r.Status)
	case "notes":
		return r.Notes
	}
	return ""
}

// Picked reports whether the radio of field f for record id is checked.
func (d *mergeData) Picked(f string, id int64) bool {
	if p, ok := d.Pick[f]; ok {
		return p == id
	}
	return len(d.Records) > 0 && d.Records[0].ID == id
}

// Path is a record's card.
func (d *mergeData) Path(id int64) string { return views.Path(d.K.kind, id) }

func mergeIDs(vals []string) []int64 {
	var ids []int64
	for _, v := range vals {
		if id := parseID(v); id != 0 {
			ids = append(ids, id)
		}
		if len(ids) > 3 {
			break
		}
	}
	return ids
}

func (s *Server) renderMerge(c *gin.Context, k customerKind, status int, recs []*models.Customer, pick map[string]int64, errs fieldErrors) {
	data := &mergeData{K: k, Records: recs, Fields: models.MergeFields, Pick: pick,
		status: func(v string) string { return s.t(c, "status."+v) }}
	p := s.newPage(c, s.t(c, "merge.title"), k.nav, data)
	data.aux = p.Aux
	p.Errors = errs
	s.render(c, status, "customers/merge", p)
}

func (s *Server) mergeForm(c *gin.Context, k customerKind) {
	if !actor(c).Can(models.PermCustomersManage) {
		s.notFound(c)
		return
	}
	recs, err := s.db.MergeCandidates(c.Request.Context(), actor(c), k.kind, mergeIDs(c.QueryArray("id")))
	if errs, ok := models.AsFieldErrors(err); ok {
		s.renderMerge(c, k, http.StatusUnprocessableEntity, nil, nil, errs)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderMerge(c, k, http.StatusOK, recs, nil, nil)
}

func (s *Server) mergeCustomers(c *gin.Context, k customerKind) {
	a := actor(c)
	if !a.Can(models.PermCustomersManage) {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	ids := mergeIDs(c.PostFormArray("id"))
	survivor := parseID(c.PostForm("survivor"))
	pick := map[string]int64{}
	for _, f := range models.MergeFields {
		if v := parseID(c.PostForm("pick_" + f)); v != 0 {
			pick[f] = v
		}
	}
	err := s.db.MergeCustomers(ctx, a, k.kind, ids, survivor, pick)
	if errs, ok := models.AsFieldErrors(err); ok {
		recs, lerr := s.db.MergeCandidates(ctx, a, k.kind, ids)
		if lerr != nil && !errors.Is(lerr, models.ErrInvalid) {
			s.fail(c, lerr)
			return
		}
		s.renderMerge(c, k, http.StatusUnprocessableEntity, recs, pick, errs)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "merge.done")
	redirect(c, views.Path(k.kind, survivor))
}

// mergedRedirect sends the address of a merged-away record to the record it
// was merged into, when the user may see that one; it reports whether it did.
func (s *Server) mergedRedirect(c *gin.Context, k customerKind, id int64) bool {
	ctx := c.Request.Context()
	survivor, err := s.db.MergedInto(ctx, k.kind, id, "")
	if err != nil {
		return false
	}
	if _, err := s.db.GetCustomer(ctx, actor(c), k.kind, survivor); err != nil {
		return false
	}
	c.Redirect(http.StatusMovedPermanently, views.Path(k.kind, survivor))
	return true
}
