package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
)

// exportFormat reads the wanted download format: XLSX when the path or the
// format parameter says so, CSV otherwise.
func exportFormat(c *gin.Context) sheet.Format {
	if c.Query("format") == "xlsx" || strings.HasSuffix(c.Request.URL.Path, ".xlsx") {
		return sheet.XLSX
	}
	return sheet.CSV
}

// startDownload sends the headers of an attachment named base plus a time
// stamp and returns a writer for its rows. Rows stream as they are written
// (CSV) or spill to a temporary file (XLSX), so memory stays bounded.
func (s *Server) startDownload(c *gin.Context, base string, f sheet.Format) (sheet.Writer, error) {
	name := fmt.Sprintf("%s-%s.%s", base, s.now().Format("20060102-1504"), f)
	c.Header("Content-Type", sheet.ContentType(f))
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	return sheet.NewWriter(c.Writer, f, base)
}

// labels translates message keys for a header row.
func (s *Server) labels(c *gin.Context, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = s.t(c, k)
	}
	return out
}

// finishDownload closes an export, logging what went wrong: the headers
// are gone by then, so the download is only cut short.
func (s *Server) finishDownload(w sheet.Writer, what string, err error) {
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.log.Error("export "+what, "err", err)
	}
}

func (s *Server) exportCustomers(c *gin.Context, k customerKind) {
	f := customerFilterFrom(c.Request.URL.Query(), k.kind)
	s.writeCustomers(c, k, f, exportFormat(c))
}

// writeCustomers exports the rows of filter f that the user may see.
func (s *Server) writeCustomers(c *gin.Context, k customerKind, f models.CustomerFilter, format sheet.Format) {
	ctx := c.Request.Context()
	aux, err := s.db.AuxLookupFor(ctx, s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.startDownload(c, k.kind+"s", format)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.name", "field.short_name", "field.industry", "field.source",
		"field.grade", "field.region", "field.stage", "field.traits", "field.address", "field.phone", "field.email",
		"field.website", "field.owner", "field.status", "field.last_activity_date", "field.last_activity_content",
		"field.notes")...); err != nil {
		return
	}
	err = s.db.EachCustomer(ctx, actor(c), f, func(cu *models.Customer) error {
		return w.WriteValues(cu.Code, cu.Name, cu.ShortName, aux.Name(cu.IndustryID), aux.Name(cu.SourceID),
			aux.Name(cu.GradeID), aux.Name(cu.RegionID), aux.Name(cu.StageID), auxNames(aux, cu.TraitIDs), cu.Address, cu.Phone,
			cu.Email, cu.Website, cu.OwnerName, s.t(c, "status."+cu.Status), sheet.Date(cu.LastActivityDate),
			cu.LastActivityContent, cu.Notes)
	})
	s.finishDownload(w, "customers", err)
}

// auxNames joins the names of several items the way Chinese lists them.
func auxNames(aux models.AuxLookup, ids []int64) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if n := aux.Name(id); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, "、")
}

// startExport begins a download of a list in the format the request asks
// for, with the category names in the user's language. ok is false when the
// error page was sent.
func (s *Server) startExport(c *gin.Context, base string) (aux models.AuxLookup, w sheet.Writer, ok bool) {
	aux, err := s.db.AuxLookupFor(c.Request.Context(), s.lang(c))
	if err != nil {
		s.fail(c, err)
		return aux, nil, false
	}
	if w, err = s.startDownload(c, base, exportFormat(c)); err != nil {
		s.fail(c, err)
		return aux, nil, false
	}
	return aux, w, true
}
