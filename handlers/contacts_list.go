package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
)

func contactFilterFrom(q url.Values) models.ContactFilter {
	f := models.ContactFilter{Q: truncate(strings.TrimSpace(q.Get("q")), 100), Kind: q.Get("kind"), PerPage: 50}
	f.Page = queryPage(q, 1_000_000, f.Page)
	return f
}

type contactListData struct {
	Filter models.ContactFilter
	Result models.ContactPage
}

// listContacts shows every contact of the customers and prospects the user
// may see (联系人), searchable by name, phone, e-mail or company.
func (s *Server) listContacts(c *gin.Context) {
	f := contactFilterFrom(c.Request.URL.Query())
	res, err := s.db.ListContacts(c.Request.Context(), actor(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "contacts.title"), "contacts", &contactListData{Filter: f, Result: res})
	s.renderTargeted(c, http.StatusOK, "contacts/list", p, "results", "results")
}

func (s *Server) exportContacts(c *gin.Context) {
	f := contactFilterFrom(c.Request.URL.Query())
	w, err := s.startDownload(c, "contacts", exportFormat(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := w.WriteRow(s.labels(c, "field.contact_name", "field.title", "field.mobile", "field.phone", "field.email",
		"field.birthday", "field.contact.primary", "import.field.customer_code", "import.field.customer", "field.owner")...); err != nil {
		return
	}
	yes := s.t(c, "contacts.yes")
	err = s.db.EachContact(c.Request.Context(), actor(c), f, func(r models.ContactRow) error {
		primary := ""
		if r.IsPrimary {
			primary = yes
		}
		return w.WriteValues(r.Name, r.Title, r.Mobile, r.Phone, r.Email, sheet.Date(r.Birthday), primary, r.CustomerCode,
			r.CustomerName, r.OwnerName)
	})
	s.finishDownload(w, "contacts", err)
}
