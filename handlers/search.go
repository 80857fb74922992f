package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
)

// Global search: the top bar's results as you type, and the full page.

type searchData struct {
	Q          string
	Kind       string
	Kinds      []string
	Page       int
	Pages      int
	Results    *search.Results
	Groups     []searchGroup
	Filters    []searchFilter
	Rebuilding bool
}

// searchFilter is a filter read from the query, as the page shows it.
type searchFilter struct {
	Label string
	Value string
}

// searchFilterLabels are the message keys of the filter names.
var searchFilterLabels = map[string]string{
	"type": "search.filter_type", "status": "search.filter_status", "owner": "search.filter_owner",
	"after": "search.filter_after", "before": "search.filter_before",
}

type searchGroup struct {
	Kind string
	Hits []search.Hit
}

const (
	searchPerPage  = 20
	suggestPerKind = 4
)

func (s *Server) searchPage(c *gin.Context) {
	q := c.Request.URL.Query()
	d := &searchData{Q: truncate(strings.TrimSpace(q.Get("q")), search.MaxQueryRunes), Kind: q.Get("kind"), Kinds: models.SearchKinds, Page: 1}
	if !containsString(models.SearchKinds, d.Kind) {
		d.Kind = ""
	}
	d.Page = queryPage(q, 50, d.Page)
	suggest := isFragment(c) && c.GetHeader("HX-Target") == "search-suggest"
	if d.Q != "" {
		sq := search.Query{Text: d.Q, Size: searchPerPage, From: (d.Page - 1) * searchPerPage, CountByKind: true}
		if d.Kind != "" {
			sq.Kinds = []string{d.Kind}
		}
		if suggest {
			// As-you-type: the best hits of every kind, grouped; no counts
			// per kind, which cost more than the hits themselves.
			sq = search.Query{Text: d.Q, Size: 24}
		}
		if s.search == nil {
			d.Rebuilding = true
		} else {
			res, err := s.search.Search(c.Request.Context(), actor(c), sq)
			switch {
			case errors.Is(err, search.ErrRebuilding):
				d.Rebuilding = true
			case err != nil:
				s.fail(c, err)
				return
			default:
				d.Results = res
				for _, f := range res.Filters {
					d.Filters = append(d.Filters, searchFilter{Label: s.t(c, searchFilterLabels[f.Key]), Value: f.Value})
				}
				d.Pages = min(50, max(1, (res.Total+searchPerPage-1)/searchPerPage))
				if suggest {
					d.Groups = groupHits(res)
				}
			}
		}
	}
	if d.Kind != "" && d.Results != nil && d.Results.ByKind != nil {
		// Counts for the tabs come from an unfiltered count query.
		if all, err := s.search.Search(c.Request.Context(), actor(c), search.Query{Text: d.Q, Size: 1, CountByKind: true}); err == nil {
			d.Results.ByKind = all.ByKind
		}
	}
	p := s.newPage(c, s.t(c, "search.title"), "search", d)
	if suggest {
		s.renderBlock(c, http.StatusOK, "search/results", "suggest", p)
		return
	}
	s.renderTargeted(c, http.StatusOK, "search/results", p, "results", "results")
}

// groupHits groups the top hits by kind, a few of each, in kind order.
func groupHits(res *search.Results) []searchGroup {
	byKind := map[string][]search.Hit{}
	for _, h := range res.Hits {
		if len(byKind[h.Kind]) < suggestPerKind {
			byKind[h.Kind] = append(byKind[h.Kind], h)
		}
	}
	var out []searchGroup
	for _, k := range models.SearchKinds {
		if len(byKind[k]) > 0 {
			out = append(out, searchGroup{Kind: k, Hits: byKind[k]})
		}
	}
	return out
}

// Admin: the index's state, rebuild progress and "rebuild now".

func (s *Server) searchAdmin(c *gin.Context) {
	var st search.Status
	if s.search != nil {
		st = s.search.Status()
	}
	p := s.newPage(c, s.t(c, "search.admin.title"), "search_index", map[string]any{"Status": st, "Available": s.search != nil,
		"MappingVersion": search.MappingVersion})
	s.renderTargeted(c, http.StatusOK, "admin/search", p, "index-status", "status")
}

func (s *Server) rebuildSearch(c *gin.Context) {
	if s.search == nil {
		s.errorPage(c, http.StatusServiceUnavailable, "search.unavailable")
		return
	}
	s.search.Rebuild()
	s.flash(c, "search.admin.rebuild_started")
	redirect(c, "/admin/search")
}
