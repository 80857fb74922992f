package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

type contactFormData struct {
	K        customerKind
	Customer *models.Customer
	Contact  models.Contact
}

// contactCustomer loads the customer of a contact route, checking that the
// actor may edit it; it has written the error page when ok is false.
func (s *Server) contactCustomer(c *gin.Context, k customerKind) (*models.Customer, bool) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return nil, false
	}
	cu, err := s.db.GetCustomer(c.Request.Context(), actor(c), k.kind, id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return cu, true
}

func (s *Server) renderContactForm(c *gin.Context, k customerKind, status int, cu *models.Customer, ct models.Contact, errs fieldErrors) {
	title := s.formTitle(c, "contact", ct.ID != 0, ct.Name)
	s.renderForm(c, status, "customers/contact_form", errs, title, k.nav, &contactFormData{K: k, Customer: cu, Contact: ct})
}

func (s *Server) newContact(c *gin.Context, k customerKind) {
	cu, ok := s.contactCustomer(c, k)
	if !ok {
		return
	}
	s.renderContactForm(c, k, http.StatusOK, cu, models.Contact{CustomerID: cu.ID}, nil)
}

func (s *Server) createContact(c *gin.Context, k customerKind) {
	s.saveContact(c, k, 0)
}

func (s *Server) editContact(c *gin.Context, k customerKind) {
	cu, ok := s.contactCustomer(c, k)
	if !ok {
		return
	}
	cid, ok := idParam(c, "cid")
	if !ok {
		s.notFound(c)
		return
	}
	ct, err := s.db.GetContact(c.Request.Context(), actor(c), cu.ID, cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderContactForm(c, k, http.StatusOK, cu, *ct, nil)
}

func (s *Server) updateContact(c *gin.Context, k customerKind) {
	cid, ok := idParam(c, "cid")
	if !ok {
		s.notFound(c)
		return
	}
	s.saveContact(c, k, cid)
}

func (s *Server) saveContact(c *gin.Context, k customerKind, cid int64) {
	cu, ok := s.contactCustomer(c, k)
	if !ok {
		return
	}
	ct := contactFormFrom(c, "")
	ct.ID, ct.CustomerID = cid, cu.ID
	if errs := ct.Validate(); errs.Any() {
		s.renderContactForm(c, k, http.StatusUnprocessableEntity, cu, ct, errs)
		return
	}
	if err := s.db.SaveContact(c.Request.Context(), actor(c), &ct); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, k.base+"/"+strconv.FormatInt(cu.ID, 10)+"#contacts")
}

// cardContact reads the route's customer (:id) and its contact (:cid): a
// contact of another customer is not found here. ok is false when the
// response was sent.
func (s *Server) cardContact(c *gin.Context, k customerKind) (cu *models.Customer, cid int64, ok bool) {
	if cu, ok = s.contactCustomer(c, k); !ok {
		return nil, 0, false
	}
	if cid, ok = idParam(c, "cid"); !ok {
		s.notFound(c)
		return nil, 0, false
	}
	if _, err := s.db.GetContact(c.Request.Context(), actor(c), cu.ID, cid); err != nil {
		s.fail(c, err)
		return nil, 0, false
	}
	return cu, cid, true
}

func (s *Server) deleteContact(c *gin.Context, k customerKind) {
	cu, cid, ok := s.cardContact(c, k)
	if !ok {
		return
	}
	if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), "contact", cid); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "trash.moved")
	redirect(c, k.base+"/"+strconv.FormatInt(cu.ID, 10)+"#contacts")
}
