package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// neutralizeCell defuses spreadsheet formula injection: a cell that a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first, also after
// leading spaces) gets a leading apostrophe.
func neutralizeCell(v string) string {
	trimmed := strings.TrimLeft(v, " ")
	if trimmed == "" {
		return v
	}
	switch trimmed[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

// csvDownload starts a CSV attachment: UTF-8 with a BOM so Excel reads
// Chinese correctly. Rows are written as they come (streamed).
func csvDownload(c *gin.Context, filename string) *csv.Writer {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write([]byte("\xEF\xBB\xBF"))
	return csv.NewWriter(c.Writer)
}

func writeRow(w *csv.Writer, cells ...string) error {
	for i := range cells {
		cells[i] = neutralizeCell(cells[i])
	}
	return w.Write(cells)
}

func (s *Server) exportCustomers(c *gin.Context, k customerKind) {
	f := customerFilterFrom(c.Request.URL.Query(), k.kind)
	s.writeCustomersCSV(c, k, f)
}

func (s *Server) writeCustomersCSV(c *gin.Context, k customerKind, f models.CustomerFilter) {
	ctx := c.Request.Context()
	aux, err := s.db.AuxLookupFor(ctx, s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("%ss-%s.csv", k.kind, time.Now().In(s.cfg.Location).Format("20060102-1504"))
	w := csvDownload(c, name)
	header := []string{"code", "name", "short_name", "industry", "source", "grade", "region", "stage", "traits",
		"address", "phone", "email", "website", "owner", "status", "last_activity_date", "last_activity_content", "notes"}
	labels := make([]string, len(header))
	for i, h := range header {
		labels[i] = s.t(c, "field."+h)
	}
	if err := writeRow(w, labels...); err != nil {
		return
	}
	err = s.db.EachCustomer(ctx, actor(c), f, func(cu *models.Customer) error {
		return writeRow(w, cu.Code, cu.Name, cu.ShortName, aux.Name(cu.IndustryID), aux.Name(cu.SourceID),
			aux.Name(cu.GradeID), aux.Name(cu.RegionID), aux.Name(cu.StageID), auxNames(aux, cu.TraitIDs), cu.Address, cu.Phone, cu.Email,
			cu.Website, cu.OwnerName, s.t(c, "status."+cu.Status), cu.LastActivityDate, cu.LastActivityContent, cu.Notes)
	})
	w.Flush()
	if err != nil {
		// Headers are gone; all we can do is log and cut the download short.
		s.log.Error("export customers", "err", err)
	}
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
