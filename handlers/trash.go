package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// The recycle bin (回收站): deleting a record moves it, with what hangs on
// it, into the bin (models/trash.go); the bin lists what one deleted (all
// of it for managers and admins) and restores it. The purge job forgets an
// entry after the retention period.

// trashLists are where a deletion returns to, by kind.
var trashLists = map[string]string{
	"customer": "/customers", "prospect": "/prospects", "activity": "/activities", "plan": "/plans",
	"opportunity": "/opportunities", "campaign": "/campaigns", "issue": "/issues", "article": "/kb", "report": "/reports",
}

// deleteRecord is the delete button of a record's card: the route's :id of
// kind goes to the bin. A record the user may not delete is a 404.
func (s *Server) deleteRecord(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := idParam(c, "id")
		if !ok {
			s.notFound(c)
			return
		}
		if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), kind, id); err != nil {
			s.fail(c, err)
			return
		}
		s.flash(c, "trash.moved")
		redirect(c, trashLists[kind])
	}
}

type trashData struct {
	Entries []models.TrashEntry
	Days    int
}

// Path is the address a bin entry's record had.
func (trashData) Path(e models.TrashEntry) string { return views.Path(e.Kind, e.RecordID) }

func (s *Server) trashPage(c *gin.Context) {
	list, err := s.db.TrashEntries(c.Request.Context(), actor(c), 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "trash", s.newPage(c, s.t(c, "trash.title"), "trash", &trashData{Entries: list, Days: s.cfg.TrashDays}))
}

func (s *Server) restoreTrash(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	kind, recordID, err := s.db.RestoreTrash(c.Request.Context(), actor(c), id)
	if errors.Is(err, models.ErrRestoreConflict) {
		s.flash(c, "trash.restore_conflict")
		redirect(c, "/trash")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "trash.restored")
	if kind == "contact" {
		redirect(c, "/trash")
		return
	}
	redirect(c, views.Path(kind, recordID))
}
