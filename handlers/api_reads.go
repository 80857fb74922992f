package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
)

// API: activity records, plans, knowledge articles and category items,
// read only for now, with the list screens' filters and row rules.

// apiPageParams reads a list's page size and cursor; ok is false when one
// is malformed (400 sent).
func (s *Server) apiPageParams(c *gin.Context) (limit int, after models.Cursor, ok bool) {
	if limit, ok = apiLimit(c); !ok {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_limit"), nil)
		return 0, after, false
	}
	after, err := models.ParseCursor(c.Query("cursor"))
	if err != nil {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_cursor"), nil)
		return 0, after, false
	}
	return limit, after, true
}

// apiDatesOK checks a list's from and to dates; false when one is
// malformed (400 sent).
func (s *Server) apiDatesOK(c *gin.Context, from, to string) bool {
	if validDateParam(from) && validDateParam(to) {
		return true
	}
	s.apiProblem(c, http.StatusBadRequest, s.t(c, "validation.date"), nil)
	return false
}

// apiIDPage answers one keyset page in id order: fetch returns up to limit
// rows after an id, and one more tells that a next page exists.
func apiIDPage[M, J any](s *Server, c *gin.Context, fetch func(after int64, limit int) ([]M, error), id func(*M) int64, conv func(*M) J) {
	limit, after, ok := s.apiPageParams(c)
	if !ok {
		return
	}
	rows, err := fetch(after.ID, limit+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next models.Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		next = models.Cursor{ID: id(&rows[limit-1])}
	}
	out := make([]J, len(rows))
	for i := range rows {
		out[i] = conv(&rows[i])
	}
	c.JSON(http.StatusOK, newAPIPage(out, next))
}

// apiOne answers one record that get finds (ErrNotFound: 404).
func apiOne[M, J any](s *Server, c *gin.Context, get func(id int64) (*M, error), conv func(*M) J) {
	if m, ok := apiParam(s, c, func(_ *gin.Context, id int64) (*M, error) { return get(id) }); ok {
		apiRecord(c, http.StatusOK, conv(m))
	}
}

type apiActivity struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Date         string `json:"date"`
	StartTime    string `json:"start_time"`
	EndTime      string `json:"end_time"`
	OwnerID      int64  `json:"owner_id"`
	OwnerName    string `json:"owner_name"`
	CustomerID   int64  `json:"customer_id"`
	CustomerKind string `json:"customer_kind"`
	CustomerName string `json:"customer_name"`
	ContactID    *int64 `json:"contact_id"`
	MethodID     *int64 `json:"method_id"`
	StageID      *int64 `json:"stage_id"`
	Subject      string `json:"subject"`
	Content      string `json:"content"`
	Result       string `json:"result"`
	NextSubject  string `json:"next_subject"`
	NextDate     string `json:"next_date"`
	NextTime     string `json:"next_time"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
}

func apiActivityOf(a *models.Activity) apiActivity {
	return apiActivity{ID: a.ID, Code: a.Code, Date: a.Date, StartTime: a.StartTime, EndTime: a.EndTime, OwnerID: a.OwnerID,
		OwnerName: a.OwnerName, CustomerID: a.CustomerID, CustomerKind: a.CustomerKind, CustomerName: a.CustomerName,
		ContactID: idOrNil(a.ContactID), MethodID: idOrNil(a.MethodID), StageID: idOrNil(a.StageID), Subject: a.Subject,
		Content: a.Content, Result: a.Result, NextSubject: a.NextSubject, NextDate: a.NextDate, NextTime: a.NextTime,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// apiSalesFilter reads what the activity-record and plan lists share; the
// dates as given, so that a malformed one is refused rather than dropped.
func apiSalesFilter(c *gin.Context) models.SalesFilter {
	return models.SalesFilter{From: c.Query("from"), To: c.Query("to"), OwnerID: parseID(c.Query("owner")),
		CustomerID: parseID(c.Query("customer")), Q: truncate(c.Query("q"), 100)}
}

func (s *Server) apiListActivities(c *gin.Context) {
	f := models.ActivityFilter{SalesFilter: apiSalesFilter(c), MethodID: parseID(c.Query("method")),
		StageID: parseID(c.Query("stage")), CompetitorID: parseID(c.Query("competitor"))}
	if !s.apiDatesOK(c, f.From, f.To) {
		return
	}
	apiIDPage(s, c, func(after int64, limit int) ([]models.Activity, error) {
		return s.db.ActivitiesAfter(c.Request.Context(), actor(c), f, after, limit)
	}, func(a *models.Activity) int64 { return a.ID }, apiActivityOf)
}

func (s *Server) apiGetActivity(c *gin.Context) {
	apiOne(s, c, func(id int64) (*models.Activity, error) { return s.db.GetActivity(c.Request.Context(), actor(c), id) }, apiActivityOf)
}

type apiPlan struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Date         string `json:"date"`
	Time         string `json:"time"`
	OwnerID      int64  `json:"owner_id"`
	OwnerName    string `json:"owner_name"`
	CustomerID   int64  `json:"customer_id"`
	CustomerKind string `json:"customer_kind"`
	CustomerName string `json:"customer_name"`
	ContactID    *int64 `json:"contact_id"`
	MethodID     *int64 `json:"method_id"`
	Subject      string `json:"subject"`
	Content      string `json:"content"`
	Status       string `json:"status"`
	Origin       string `json:"origin"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
}

func apiPlanOf(p *models.Plan) apiPlan {
	return apiPlan{ID: p.ID, Code: p.Code, Date: p.Date, Time: p.Time, OwnerID: p.OwnerID, OwnerName: p.OwnerName,
		CustomerID: p.CustomerID, CustomerKind: p.CustomerKind, CustomerName: p.CustomerName, ContactID: idOrNil(p.ContactID),
		MethodID: idOrNil(p.MethodID), Subject: p.Subject, Content: p.Content, Status: p.Status, Origin: p.Origin,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (s *Server) apiListPlans(c *gin.Context) {
	f := models.PlanFilter{SalesFilter: apiSalesFilter(c)}
	switch st := c.Query("status"); st {
	case "planned", "done", "cancelled":
		f.Status = st
	}
	if !s.apiDatesOK(c, f.From, f.To) {
		return
	}
	apiIDPage(s, c, func(after int64, limit int) ([]models.Plan, error) {
		return s.db.PlansAfter(c.Request.Context(), actor(c), f, after, limit)
	}, func(p *models.Plan) int64 { return p.ID }, apiPlanOf)
}

func (s *Server) apiGetPlan(c *gin.Context) {
	apiOne(s, c, func(id int64) (*models.Plan, error) { return s.db.GetPlan(c.Request.Context(), actor(c), id) }, apiPlanOf)
}

type apiArticle struct {
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	Title      string `json:"title"`
	Symptom    string `json:"symptom"`
	Solution   string `json:"solution"`
	CategoryID *int64 `json:"category_id"`
	Keywords   string `json:"keywords"`
	Views      int    `json:"views"`
	Helped     int    `json:"helped"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

func apiArticleOf(a *models.Article) apiArticle {
	return apiArticle{ID: a.ID, Code: a.Code, Title: a.Title, Symptom: a.Symptom, Solution: a.Solution,
		CategoryID: idOrNil(a.CategoryID), Keywords: a.Keywords, Views: a.Views, Helped: a.Helped, CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt}
}

func (s *Server) apiListArticles(c *gin.Context) {
	cat := parseID(c.Query("category"))
	apiIDPage(s, c, func(after int64, limit int) ([]models.Article, error) {
		return s.db.ArticlesAfter(c.Request.Context(), cat, after, limit)
	}, func(a *models.Article) int64 { return a.ID }, apiArticleOf)
}

func (s *Server) apiGetArticle(c *gin.Context) {
	apiOne(s, c, func(id int64) (*models.Article, error) { return s.db.GetArticle(c.Request.Context(), id) }, apiArticleOf)
}

type apiAuxItem struct {
	ID     int64  `json:"id"`
	Type   string `json:"type"`
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Active bool   `json:"active"`
}

// apiCategoryItems lists one category list (辅助项目), to turn the ids of
// records into names and to pick valid values.
func (s *Server) apiCategoryItems(c *gin.Context) {
	typ := c.Query("type")
	if !models.ValidAuxType(typ) {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_category_type"), nil)
		return
	}
	items, err := s.db.AuxItemsOf(c.Request.Context(), typ)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiAuxItem, len(items))
	for i, a := range items {
		out[i] = apiAuxItem{ID: a.ID, Type: a.Type, Code: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Active: a.Active}
	}
	c.JSON(http.StatusOK, apiPage[apiAuxItem]{Data: out})
}

// validDateParam accepts "" or a date.
func validDateParam(v string) bool { return v == "" || models.ValidDate(v) }

type apiSearchHit struct {
	Kind       string `json:"kind"`
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	Title      string `json:"title"`
	Snippet    string `json:"snippet"`
	ParentKind string `json:"parent_kind"`
	ParentID   int64  `json:"parent_id"`
}

// apiSearch is the search page's query over the same index and row rules:
// relevance order, 20 a page (page 1–50). Title and snippet are HTML with
// the matches in <mark>.
func (s *Server) apiSearch(c *gin.Context) {
	text := truncate(strings.TrimSpace(c.Query("q")), search.MaxQueryRunes)
	if text == "" {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_search"), nil)
		return
	}
	sq := search.Query{Text: text, Size: searchPerPage, From: (queryPage(c.Request.URL.Query(), 50, 1) - 1) * searchPerPage}
	if k := c.Query("kind"); k != "" {
		if !containsString(models.SearchKinds, k) {
			s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_search"), nil)
			return
		}
		sq.Kinds = []string{k}
	}
	var res *search.Results
	err := search.ErrRebuilding
	if s.search != nil {
		res, err = s.search.Search(c.Request.Context(), actor(c), sq)
	}
	if errors.Is(err, search.ErrRebuilding) {
		c.Header("Retry-After", "30")
		s.apiProblem(c, http.StatusServiceUnavailable, s.t(c, "api.search_rebuilding"), nil)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiSearchHit, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = apiSearchHit{Kind: h.Kind, ID: h.ID, Code: h.Code, Title: string(h.Title), Snippet: string(h.Snippet),
			ParentKind: h.ParentKind, ParentID: h.ParentID}
	}
	c.JSON(http.StatusOK, gin.H{"data": out, "total": res.Total})
}
