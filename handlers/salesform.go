package handlers

import (
	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// What the sales forms (activity records, plans, opportunities) share: a
// manager picks the salesperson; a chosen counterpart offers its contacts;
// "new" may start from a counterpart named in the query (?customer=).

// salesFormParts are embedded in each sales form's data, so the templates
// read .Data.Manager, .Data.Owners and .Data.Contacts alike.
type salesFormParts struct {
	Manager  bool
	Owners   []models.User
	Contacts []models.Contact
}

// salesFormParts fills the shared parts; withContacts lists the contacts of
// customerID when the form has a valid counterpart. ok is false when the
// database failed (the error page is sent).
func (s *Server) salesFormParts(c *gin.Context, customerID int64, withContacts bool, errs fieldErrors) (parts salesFormParts, ok bool) {
	var err error
	parts.Manager = actor(c).SeesBeyondOwn(models.ModActivities)
	if parts.Manager {
		if parts.Owners, err = s.salespeople(c); err != nil {
			s.fail(c, err)
			return parts, false
		}
	}
	if withContacts && customerID != 0 && errs["customer"] == "" {
		if parts.Contacts, err = s.db.Contacts(c.Request.Context(), customerID); err != nil {
			s.fail(c, err)
			return parts, false
		}
	}
	return parts, true
}

// queryCounterpart is the counterpart a "new" form starts from (?customer=),
// with its name for the picker; id 0 when none is named. ok is false when
// it is not one the user may work with (the error page is sent).
func (s *Server) queryCounterpart(c *gin.Context) (id int64, label string, ok bool) {
	id = parseID(c.Query("customer"))
	if id == 0 {
		return 0, "", true
	}
	cp, err := s.db.GetCounterpart(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return 0, "", false
	}
	return cp.ID, cp.Name, true
}

// formTitle is "新建…" or "编辑 CODE" for a record kind with the message
// keys KIND.new.title and KIND.edit.title.
func (s *Server) formTitle(c *gin.Context, kind string, editing bool, code string) string {
	if editing {
		return s.t(c, kind+".edit.title", code)
	}
	return s.t(c, kind+".new.title")
}

// withID adapts a save handler for the update route (/…/:id); create
// routes pass 0.
func (s *Server) withID(save func(*gin.Context, int64)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := idParam(c, "id")
		if !ok {
			s.notFound(c)
			return
		}
		save(c, id)
	}
}

// withoutID adapts a save handler for the create route.
func withoutID(save func(*gin.Context, int64)) gin.HandlerFunc {
	return func(c *gin.Context) { save(c, 0) }
}
