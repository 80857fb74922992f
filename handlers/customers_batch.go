package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
)

// Batch actions on ticked (or all matching) customers and prospects.

// batchIDs reads the rows a batch action applies to: the ticked ids, or every
// row matching the list's filter when "all" was chosen. Either way only rows
// the actor may see are returned.
func (s *Server) batchIDs(c *gin.Context, k customerKind) (models.CustomerFilter, []int64, error) {
	filterQuery, err := url.ParseQuery(c.PostForm("filter"))
	if err != nil {
		filterQuery = url.Values{}
	}
	f := customerFilterFrom(filterQuery, k.kind)
	const maxBatch, maxTicked = 100_000, 1000
	if c.PostForm("all") != "1" {
		for _, v := range c.PostFormArray("id") {
			if id := parseID(v); id != 0 && len(f.IDs) < maxTicked {
				f.IDs = append(f.IDs, id)
			}
		}
		if len(f.IDs) == 0 {
			return f, nil, nil
		}
		// Re-select through the filter's row rules, so ids the actor may not
		// see drop out here.
		f = models.CustomerFilter{Kind: k.kind, IDs: f.IDs, Sort: f.Sort, Desc: f.Desc}
	}
	ids, err := s.db.CustomerIDs(c.Request.Context(), actor(c), f, maxBatch)
	return f, ids, err
}

func (s *Server) batchCustomers(c *gin.Context, k customerKind) {
	f, ids, err := s.batchIDs(c, k)
	if err != nil {
		s.fail(c, err)
		return
	}
	back := k.base
	// Back to the list as it was filtered; a filter too long for a sane
	// Location header (or not a query at all) goes back to the plain list.
	if fq := c.PostForm("filter"); fq != "" && len(fq) <= maxBackQuery {
		if q, err := url.ParseQuery(fq); err == nil {
			back += "?" + q.Encode()
		}
	}
	if len(ids) == 0 {
		s.flash(c, "batch.none_selected")
		redirect(c, back)
		return
	}
	switch c.PostForm("action") {
	case "owner":
		owner := formID(c.PostForm("new_owner"))
		u, err := s.db.UserByID(c.Request.Context(), owner)
		if err != nil || !u.Active || !s.db.RoleCan(u.Role, models.PermCustomersCreate) ||
			!actor(c).Can(models.PermCustomersManage) || !actor(c).Sees(models.ModCustomers, owner) {
			s.flash(c, "batch.owner_invalid")
			redirect(c, back)
			return
		}
		if _, err := s.db.ChangeOwner(c.Request.Context(), actor(c), k.kind, ids, owner); err != nil {
			s.fail(c, err)
			return
		}
		s.flash(c, "batch.owner_changed")
		redirect(c, back)
	case "delete":
		s.batchDelete(c, k, ids, back)
	case "plan":
		if !actor(c).EditsActivities() {
			s.errorPage(c, http.StatusForbidden, "error.forbidden")
			return
		}
		s.batchPlanForm(c, k, ids)
	case "export", "export_xlsx":
		// f is the ticked ids or the whole filter: either way the export
		// reads the rows itself, through the same row rules.
		format := sheet.CSV
		if c.PostForm("action") == "export_xlsx" {
			format = sheet.XLSX
		}
		s.writeCustomers(c, k, f, format)
	case "campaign":
		s.addToCampaign(c, f, back)
	default:
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
	}
}

// batchDeleteData is the confirmation of a batch deletion: the count, and
// the form to post again with confirm=1.
type batchDeleteData struct {
	K      customerKind
	IDs    []int64
	All    bool // every record the filter matches: posted again as the filter, not as ids
	Filter string
	Back   string
}

// batchDelete asks first, with the count, then moves each record into the
// recycle bin; the ones the user may not delete were filtered out already.
func (s *Server) batchDelete(c *gin.Context, k customerKind, ids []int64, back string) {
	if !actor(c).EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	if c.PostForm("confirm") != "1" {
		data := &batchDeleteData{K: k, IDs: ids, All: c.PostForm("all") == "1", Filter: c.PostForm("filter"), Back: back}
		s.render(c, http.StatusOK, "customers/batch_delete", s.newPage(c, s.t(c, "batch.delete_confirm_title", len(ids)), k.nav, data))
		return
	}
	n := 0
	for _, id := range ids {
		if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), k.kind, id); err != nil && !errors.Is(err, models.ErrNotFound) {
			s.fail(c, err)
			return
		}
		n++
	}
	s.flashCount(c, "batch.deleted", n)
	redirect(c, back)
}
