package handlers

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/views"
)

// The recycle bin (回收站): deleting a record moves it, with what hangs on
// it, into the bin (models/trash.go); the bin lists what one deleted (all
// of it for managers and admins) and restores it. The purge job forgets an
// entry after the retention period.

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
		redirect(c, views.ListPath(kind)) // back to the list it was in
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

// eraseRecord erases a person's data for good (PIPL): a customer or
// prospect with its contacts. The admin confirms by typing the record's
// code; the mail files that hold the erased addresses go after the commit.
func (s *Server) eraseRecord(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := idParam(c, "id")
		if !ok {
			s.notFound(c)
			return
		}
		cu, err := s.db.GetCustomer(c.Request.Context(), actor(c), kind, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		card := views.Path(kind, id)
		if strings.TrimSpace(c.PostForm("confirm_code")) != cu.Code {
			s.flash(c, "erase.code_mismatch")
			redirect(c, card+"#erase")
			return
		}
		s.erase(c, kind, id, card)
	}
}

// eraseContact is eraseRecord for one contact of a customer's card.
func (s *Server) eraseContact(c *gin.Context, k customerKind) {
	cu, cid, ok := s.cardContact(c, k)
	if !ok {
		return
	}
	s.erase(c, "contact", cid, views.Path(k.kind, cu.ID))
}

func (s *Server) erase(c *gin.Context, kind string, id int64, back string) {
	done, err := s.db.ErasePerson(c.Request.Context(), actor(c), kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := jobs.EraseMailFiles(filepath.Join(s.cfg.DataDir, "mail"), done.Emails); err != nil {
		// The database part is done; a re-run of the erasure removes the
		// files that are left.
		s.log.Error("erase mail files", "code", done.Code, "err", err)
	}
	// The erased record's attachments went with its rows; their content
	// goes now, not at the nightly clean-up.
	if _, err := s.fileStore().CleanFiles(c.Request.Context()); err != nil {
		s.log.Error("erase attachment files", "code", done.Code, "err", err)
	}
	s.log.Info("personal data erased", "kind", kind, "code", done.Code, "by", actor(c).ID)
	s.flash(c, "erase.done")
	redirect(c, back)
}
