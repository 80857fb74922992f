package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// API: customers and prospects (with conversion), their contacts, users.

// apiCustomer is a customer or prospect as the API shows it.
type apiCustomer struct {
	ID               int64   `json:"id"`
	Kind             string  `json:"kind"`
	Code             string  `json:"code"`
	Name             string  `json:"name"`
	ShortName        string  `json:"short_name"`
	IndustryID       *int64  `json:"industry_id"`
	SourceID         *int64  `json:"source_id"`
	GradeID          *int64  `json:"grade_id"`
	RegionID         *int64  `json:"region_id"`
	StageID          *int64  `json:"stage_id"`
	TraitIDs         []int64 `json:"trait_ids"`
	Address          string  `json:"address"`
	Phone            string  `json:"phone"`
	Email            string  `json:"email"`
	Website          string  `json:"website"`
	OwnerID          int64   `json:"owner_id"`
	OwnerName        string  `json:"owner_name"`
	Status           string  `json:"status"`
	Notes            string  `json:"notes"`
	ConvertedToID    *int64  `json:"converted_to_id"`
	LastActivityDate string  `json:"last_activity_date"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

func apiCustomerOf(m *models.Customer) apiCustomer {
	traits := m.TraitIDs
	if traits == nil {
		traits = []int64{}
	}
	return apiCustomer{ID: m.ID, Kind: m.Kind, Code: m.Code, Name: m.Name, ShortName: m.ShortName,
		IndustryID: idOrNil(m.IndustryID), SourceID: idOrNil(m.SourceID), GradeID: idOrNil(m.GradeID),
		RegionID: idOrNil(m.RegionID), StageID: idOrNil(m.StageID), TraitIDs: traits, Address: m.Address,
		Phone: m.Phone, Email: m.Email, Website: m.Website, OwnerID: m.OwnerID, OwnerName: m.OwnerName,
		Status: m.Status, Notes: m.Notes, ConvertedToID: idOrNil(m.ConvertedToID),
		LastActivityDate: m.LastActivityDate, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// apiCustomerInput is a create or a partial update: a field left out keeps
// its value (or the default on create); null clears an optional item.
type apiCustomerInput struct {
	Name       *string  `json:"name"`
	ShortName  *string  `json:"short_name"`
	IndustryID **int64  `json:"industry_id"`
	SourceID   **int64  `json:"source_id"`
	GradeID    **int64  `json:"grade_id"`
	RegionID   **int64  `json:"region_id"`
	StageID    **int64  `json:"stage_id"`
	TraitIDs   *[]int64 `json:"trait_ids"`
	Address    *string  `json:"address"`
	Phone      *string  `json:"phone"`
	Email      *string  `json:"email"`
	Website    *string  `json:"website"`
	OwnerID    *int64   `json:"owner_id"`
	Status     *string  `json:"status"`
	Notes      *string  `json:"notes"`
}

func (in *apiCustomerInput) apply(m *models.Customer) {
	set(&m.Name, in.Name)
	set(&m.ShortName, in.ShortName)
	setID(&m.IndustryID, in.IndustryID)
	setID(&m.SourceID, in.SourceID)
	setID(&m.GradeID, in.GradeID)
	setID(&m.RegionID, in.RegionID)
	setID(&m.StageID, in.StageID)
	set(&m.TraitIDs, in.TraitIDs)
	set(&m.Address, in.Address)
	set(&m.Phone, in.Phone)
	set(&m.Email, in.Email)
	set(&m.Website, in.Website)
	set(&m.OwnerID, in.OwnerID)
	set(&m.Status, in.Status)
	set(&m.Notes, in.Notes)
}

// apiKinds maps the API's collection names to record kinds.
var apiKinds = map[string]string{"customers": "customer", "prospects": "prospect"}

func (s *Server) apiListCustomers(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		f := customerFilterFrom(q, kind)
		if q.Get("sort") == "" {
			f.Sort = "created" // the API's default: new records come last
		}
		limit, after, ok := s.apiPageParams(c)
		if !ok {
			return
		}
		rows, next, err := s.db.CustomersAfter(c.Request.Context(), actor(c), f, after, limit)
		if err != nil {
			s.fail(c, err)
			return
		}
		out := make([]apiCustomer, len(rows))
		for i := range rows {
			out[i] = apiCustomerOf(&rows[i])
		}
		c.JSON(http.StatusOK, newAPIPage(out, next))
	}
}

// apiCustomerParam loads the record of the URL that the actor may see; a
// colleague's record is 404 like a missing one.
func (s *Server) apiCustomerParam(c *gin.Context, kind string) (*models.Customer, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	m, err := s.db.GetCustomer(c.Request.Context(), actor(c), kind, id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return m, true
}

func (s *Server) apiGetCustomer(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if m, ok := s.apiCustomerParam(c, kind); ok {
			apiRecord(c, http.StatusOK, apiCustomerOf(m))
		}
	}
}

func (s *Server) apiCreateCustomer(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in apiCustomerInput
		if !s.readJSON(c, &in) {
			return
		}
		m := models.Customer{Kind: kind, Status: "active"}
		in.apply(&m)
		ctx := c.Request.Context()
		if err := s.db.CreateCustomer(ctx, actor(c), &m, nil); err != nil {
			s.apiFail(c, err)
			return
		}
		saved, err := s.db.GetCustomer(ctx, actor(c), kind, m.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Location", "/api/v1/"+kind+"s/"+strconv.FormatInt(m.ID, 10))
		apiRecord(c, http.StatusCreated, apiCustomerOf(saved))
	}
}

func (s *Server) apiUpdateCustomer(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		old, ok := s.apiCustomerParam(c, kind)
		if !ok || s.ifMatchFails(c, apiCustomerOf(old)) {
			return
		}
		var in apiCustomerInput
		if !s.readJSON(c, &in) {
			return
		}
		m := *old
		in.apply(&m)
		ctx := c.Request.Context()
		if err := s.db.UpdateCustomer(ctx, actor(c), &m); err != nil {
			s.apiFail(c, err)
			return
		}
		saved, err := s.db.GetCustomer(ctx, actor(c), kind, m.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		apiRecord(c, http.StatusOK, apiCustomerOf(saved))
	}
}

func (s *Server) apiDeleteCustomer(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		old, ok := s.apiCustomerParam(c, kind)
		if !ok || s.ifMatchFails(c, apiCustomerOf(old)) {
			return
		}
		if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), kind, old.ID); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// apiConvertProspect turns a prospect into a customer, as the card's
// button does, and answers the new customer.
func (s *Server) apiConvertProspect(c *gin.Context) {
	p, ok := s.apiCustomerParam(c, "prospect")
	if !ok || s.ifMatchFails(c, apiCustomerOf(p)) {
		return
	}
	ctx := c.Request.Context()
	id, err := s.db.ConvertProspect(ctx, actor(c), p.ID)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	m, err := s.db.GetCustomer(ctx, actor(c), "customer", id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/customers/"+strconv.FormatInt(id, 10))
	apiRecord(c, http.StatusCreated, apiCustomerOf(m))
}

// apiContact is a contact as the API shows it.
type apiContact struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Phone      string `json:"phone"`
	Mobile     string `json:"mobile"`
	Email      string `json:"email"`
	Birthday   string `json:"birthday"`
	IsPrimary  bool   `json:"is_primary"`
}

func (s *Server) apiCustomerContacts(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		m, ok := s.apiCustomerParam(c, kind)
		if !ok {
			return
		}
		list, err := s.db.Contacts(c.Request.Context(), m.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		out := make([]apiContact, 0, len(list))
		for _, k := range list {
			out = append(out, apiContact(k))
		}
		c.JSON(http.StatusOK, apiPage[apiContact]{Data: out})
	}
}

// apiUser is the minimum of a user the API shows: enough to pick an owner.
type apiUser struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Active      bool   `json:"active"`
}

func (s *Server) apiUsers(c *gin.Context) {
	list, err := s.db.UsersSeenBy(c.Request.Context(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiUser, 0, len(list))
	for _, u := range list {
		out = append(out, apiUser{ID: u.ID, DisplayName: u.DisplayName, Role: string(u.Role), Active: u.Active})
	}
	c.JSON(http.StatusOK, apiPage[apiUser]{Data: out})
}

// apiMe is the token's owner and the token itself.
func (s *Server) apiMe(c *gin.Context) {
	u, t := currentUser(c), apiToken(c)
	c.JSON(http.StatusOK, gin.H{"user": apiUser{ID: u.ID, DisplayName: u.DisplayName, Role: string(u.Role), Active: u.Active},
		"token": gin.H{"name": t.Name, "writable": t.Writable, "expires_at": nilIfEmpty(t.ExpiresAt)}})
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// apiContactInput is a new contact or a partial change of one.
type apiContactInput struct {
	Name      *string `json:"name"`
	Title     *string `json:"title"`
	Phone     *string `json:"phone"`
	Mobile    *string `json:"mobile"`
	Email     *string `json:"email"`
	Birthday  *string `json:"birthday"`
	IsPrimary *bool   `json:"is_primary"`
}

func (in *apiContactInput) apply(k *models.Contact) {
	set(&k.Name, in.Name)
	set(&k.Title, in.Title)
	set(&k.Phone, in.Phone)
	set(&k.Mobile, in.Mobile)
	set(&k.Email, in.Email)
	set(&k.Birthday, in.Birthday)
	set(&k.IsPrimary, in.IsPrimary)
}

// apiContactParam loads the contact of the URL, of a record the actor may
// see (else 404).
func (s *Server) apiContactParam(c *gin.Context, kind string) (*models.Contact, bool) {
	m, ok := s.apiCustomerParam(c, kind)
	if !ok {
		return nil, false
	}
	cid, ok := idParam(c, "cid")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	k, err := s.db.GetContact(c.Request.Context(), actor(c), m.ID, cid)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return k, true
}

func (s *Server) apiCreateContact(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		m, ok := s.apiCustomerParam(c, kind)
		if !ok {
			return
		}
		var in apiContactInput
		if !s.readJSON(c, &in) {
			return
		}
		k := models.Contact{CustomerID: m.ID}
		in.apply(&k)
		if err := s.db.SaveContact(c.Request.Context(), actor(c), &k); err != nil {
			s.apiFail(c, err)
			return
		}
		c.Header("Location", c.Request.URL.Path+"/"+strconv.FormatInt(k.ID, 10))
		apiRecord(c, http.StatusCreated, apiContact(k))
	}
}

func (s *Server) apiUpdateContact(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		old, ok := s.apiContactParam(c, kind)
		if !ok || s.ifMatchFails(c, apiContact(*old)) {
			return
		}
		var in apiContactInput
		if !s.readJSON(c, &in) {
			return
		}
		k := *old
		in.apply(&k)
		ctx := c.Request.Context()
		if err := s.db.SaveContact(ctx, actor(c), &k); err != nil {
			s.apiFail(c, err)
			return
		}
		saved, err := s.db.GetContact(ctx, actor(c), k.CustomerID, k.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		apiRecord(c, http.StatusOK, apiContact(*saved))
	}
}

func (s *Server) apiDeleteContact(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		old, ok := s.apiContactParam(c, kind)
		if !ok || s.ifMatchFails(c, apiContact(*old)) {
			return
		}
		if err := s.db.DeleteContact(c.Request.Context(), actor(c), old.CustomerID, old.ID); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}
