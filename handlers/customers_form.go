package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// The customer and prospect form: new, create, edit, update, the live
// duplicate check and the conversion of a prospect. The rules are
// models.CheckCustomer's.

// customerForm is what the create and edit forms post, kept as typed so a
// failed save shows the form again exactly as it was.
type customerForm struct {
	Customer          models.Customer
	Contact           models.Contact // the first contact, on create only
	Duplicates        []models.Duplicate
	ConfirmDuplicates bool
}

func customerFormFrom(c *gin.Context) customerForm {
	f := customerForm{Customer: models.Customer{
		Name:       strings.TrimSpace(c.PostForm("name")),
		ShortName:  strings.TrimSpace(c.PostForm("short_name")),
		IndustryID: formID(c.PostForm("industry")),
		SourceID:   formID(c.PostForm("source")),
		GradeID:    formID(c.PostForm("grade")),
		RegionID:   formID(c.PostForm("region")),
		StageID:    formID(c.PostForm("stage")),
		Address:    strings.TrimSpace(c.PostForm("address")),
		Phone:      strings.TrimSpace(c.PostForm("phone")),
		Email:      strings.TrimSpace(c.PostForm("email")),
		Website:    strings.TrimSpace(c.PostForm("website")),
		OwnerID:    formID(c.PostForm("owner")),
		Status:     c.PostForm("status"),
		Notes:      strings.TrimSpace(c.PostForm("notes")),
	}}
	for _, t := range c.PostFormArray("traits") {
		if id := parseID(t); id != 0 {
			f.Customer.TraitIDs = append(f.Customer.TraitIDs, id)
		}
	}
	f.Contact = contactFormFrom(c, "contact_")
	f.Contact.IsPrimary = true
	f.ConfirmDuplicates = c.PostForm("confirm_duplicates") == "1"
	return f
}

func contactFormFrom(c *gin.Context, prefix string) models.Contact {
	return models.Contact{
		Name:      strings.TrimSpace(c.PostForm(prefix + "name")),
		Title:     strings.TrimSpace(c.PostForm(prefix + "title")),
		Phone:     strings.TrimSpace(c.PostForm(prefix + "phone")),
		Mobile:    strings.TrimSpace(c.PostForm(prefix + "mobile")),
		Email:     strings.TrimSpace(c.PostForm(prefix + "email")),
		Birthday:  strings.TrimSpace(c.PostForm(prefix + "birthday")),
		IsPrimary: c.PostForm(prefix+"primary") == "1",
	}
}

// checkLen adds errKey for field when v is longer than n characters.
// checkCustomer runs the rules of models.CheckCustomer on the form. The
// form's first contact counts only when something of it was typed. ok is
// false when the database failed (the error page is sent).
func (s *Server) checkCustomer(c *gin.Context, f *customerForm, old *models.Customer) (errs fieldErrors, ok bool) {
	var contacts []models.Contact
	if old == nil && f.Contact.Name+f.Contact.Title+f.Contact.Mobile+f.Contact.Email != "" {
		contacts = []models.Contact{f.Contact}
	}
	errs, err := s.db.CheckCustomer(c.Request.Context(), actor(c), &f.Customer, contacts, old)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return errs, true
}

type customerFormData struct {
	K       customerKind
	Form    customerForm
	Owners  []models.User
	Editing bool
	Manager bool
}

func (s *Server) renderCustomerForm(c *gin.Context, k customerKind, status int, f customerForm, editing bool, errs fieldErrors) {
	a := actor(c)
	data := &customerFormData{K: k, Form: f, Editing: editing, Manager: a.SeesBeyondOwn(models.ModCustomers)}
	if data.Manager {
		owners, err := s.peopleInScope(c, models.ModCustomers)
		if err != nil {
			s.fail(c, err)
			return
		}
		// A disabled owner is not in the list; without an option of their
		// own the browser would submit the first user and silently give the
		// record away.
		if id := f.Customer.OwnerID; editing && id != 0 && !slices.ContainsFunc(owners, func(u models.User) bool { return u.ID == id }) {
			if u, err := s.db.UserByID(c.Request.Context(), id); err == nil {
				owners = append(owners, *u)
			}
		}
		data.Owners = owners
	}
	title := s.t(c, k.Key("new.title"))
	if editing {
		title = s.t(c, k.Key("edit.title"), f.Customer.Name)
	}
	s.renderForm(c, status, "customers/form", errs, title, k.nav, data)
}

func (s *Server) newCustomer(c *gin.Context, k customerKind) {
	if !actor(c).EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	f := customerForm{Customer: models.Customer{Kind: k.kind, Status: "active", OwnerID: actor(c).ID}}
	s.renderCustomerForm(c, k, http.StatusOK, f, false, nil)
}

func (s *Server) createCustomer(c *gin.Context, k customerKind) {
	a := actor(c)
	if !a.EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	ctx := c.Request.Context()
	f := customerFormFrom(c)
	f.Customer.Kind = k.kind
	f.Customer.Status = strings.Replace(f.Customer.Status, "converted", "active", 1)
	if errs, ok := s.checkCustomer(c, &f, nil); !ok {
		return
	} else if errs.Any() {
		s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, false, errs)
		return
	}
	if !f.ConfirmDuplicates {
		dups, err := s.db.FindDuplicates(ctx, a, &f.Customer)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(dups) > 0 {
			f.Duplicates = dups
			s.renderCustomerForm(c, k, http.StatusConflict, f, false, fieldErrors{"form": "customer.duplicate_confirm"})
			return
		}
	}
	var contacts []models.Contact
	if f.Contact.Name != "" {
		contacts = append(contacts, f.Contact)
	}
	if err := s.db.CreateCustomer(ctx, a, &f.Customer, contacts); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok { // changed since the check (an item deactivated)
			s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, false, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.saved(c, k.base+"/"+strconv.FormatInt(f.Customer.ID, 10))
}

// checkDuplicates answers the form's live duplicate check (htmx).
func (s *Server) checkDuplicates(c *gin.Context, k customerKind) {
	cu := models.Customer{
		ID:    parseID(c.Query("id")),
		Name:  truncate(strings.TrimSpace(c.Query("name")), 200),
		Phone: truncate(strings.TrimSpace(c.Query("phone")), 40),
		Email: truncate(strings.TrimSpace(c.Query("email")), 254),
	}
	dups, err := s.db.FindDuplicates(c.Request.Context(), actor(c), &cu)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, "", k.nav, &customerFormData{K: k, Form: customerForm{Duplicates: dups}})
	s.renderBlock(c, http.StatusOK, "customers/form", "duplicates", p)
}

func (s *Server) editCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return
	}
	cu, err := s.db.GetCustomer(c.Request.Context(), actor(c), k.kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderCustomerForm(c, k, http.StatusOK, customerForm{Customer: *cu}, true, nil)
}

func (s *Server) updateCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	old, err := s.db.GetCustomer(ctx, actor(c), k.kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := customerFormFrom(c)
	f.Customer.ID, f.Customer.Kind, f.Customer.Code = id, k.kind, old.Code
	if old.Status == "converted" {
		f.Customer.Status = "converted"
	} else if f.Customer.Status == "converted" {
		f.Customer.Status = old.Status
	}
	if errs, ok := s.checkCustomer(c, &f, old); !ok {
		return
	} else if errs.Any() {
		s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, true, errs)
		return
	}
	if err := s.db.UpdateCustomer(ctx, actor(c), &f.Customer); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok {
			s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, true, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.saved(c, k.base+"/"+strconv.FormatInt(id, 10))
}

func (s *Server) convertProspect(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	customerID, err := s.db.ConvertProspect(c.Request.Context(), actor(c), id)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "prospect.already_converted")
		redirect(c, views.Path("prospect", id))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "prospect.converted")
	redirect(c, views.Path("customer", customerID))
}
