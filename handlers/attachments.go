package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/views"
)

// Attachments and comments on records (issue 15). Every record card loads
// one panel, /files/:kind/:id, with htmx; without JavaScript the card links
// to the same panel as a page, whose upload form is a plain multipart post.

// maxAttachmentRequest bounds one upload request: several files of at most
// the admin's per-file limit (itself at most maxFileSetting) and the form.
const (
	maxFileSettingMB     = 200
	maxAttachmentRequest = (maxFileSettingMB + 1) << 20
)

// isAttachmentUpload tells limitBody which requests stream files: they get
// their own larger limit and are parsed by the handler, part by part.
func isAttachmentUpload(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/files/") {
		return false
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	return len(parts) == 3
}

func (s *Server) fileStore() models.FileStore {
	return models.FileStore{DB: s.db, Dir: filepath.Join(s.cfg.DataDir, "files")}
}

// cardComments is how many of the newest comments a card shows; the rest
// are a click away (a card with 200 comments stays as quick as one without).
const cardComments = 30

// filesPanel is the data of the panel. Its rows are written in Go
// (files_rows.go).
type filesPanel struct {
	Kind         string
	RecordID     int64
	Back         string
	CanEdit      bool
	FileCount    int
	FileRows     template.HTML // one <li> per file, newest first
	HasComments  bool
	CommentCount int           // how many are listed
	CommentRows  template.HTML // one <li> per comment listed, oldest first
	AllComments  int           // how many there are
	AllShown     bool          // the whole thread is listed
	Problems     []string      // refusals of the last upload, translated
	Typed        string        // a refused comment's text
}

// panelWords looks up the panel's words in the user's language.
func (s *Server) panelWords(c *gin.Context) *panelWords {
	return &panelWords{Markdown: s.t(c, "files.markdown"), Delete: s.t(c, "files.delete"), Edited: s.t(c, "comments.edited"),
		Deleted: s.t(c, "comments.deleted"), Edit: s.t(c, "comments.edit"), Save: s.t(c, "comments.save"),
		DeleteComment: s.t(c, "comments.delete"),
		DeleteConfirm: func(name string) string { return s.t(c, "files.delete_confirm", name) },
		When:          s.localTime}
}

// recordParams reads :kind and :id and checks that the user may see it.
func (s *Server) recordParams(c *gin.Context) (kind string, id int64, edit, ok bool) {
	kind = c.Param("kind")
	id, ok = idParam(c, "id")
	if _, known := models.AttachmentKinds[kind]; !ok || !known {
		s.notFound(c)
		return "", 0, false, false
	}
	edit, err := s.db.RecordAccess(c.Request.Context(), actor(c), kind, id)
	if err != nil {
		s.fail(c, err)
		return "", 0, false, false
	}
	return kind, id, edit, true
}

// recordBack is the card a panel belongs to.
func (s *Server) recordBack(c *gin.Context, kind string, id int64) string {
	k, rid := s.db.RecordCard(c.Request.Context(), kind, id)
	if k == "" {
		return "/"
	}
	return views.Path(k, rid)
}

func (s *Server) renderFilesPanel(c *gin.Context, status int, kind string, id int64, edit bool, problems []string, typed string) {
	ctx := c.Request.Context()
	d := &filesPanel{Kind: kind, RecordID: id, CanEdit: edit, Problems: problems, Typed: typed, Back: s.recordBack(c, kind, id)}
	var err error
	files, err := s.db.Attachments(ctx, kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	words := s.panelWords(c)
	d.FileCount, d.FileRows = len(files), fileRowsHTML(files, kind, edit, words)
	if _, ok := models.CommentKinds[kind]; ok {
		d.HasComments = true
		d.AllShown = c.Query("all") != ""
		limit := cardComments
		if c.Query("all") != "" {
			limit = 0
		}
		comments, all, err := s.db.Comments(ctx, actor(c), kind, id, limit)
		if err != nil {
			s.fail(c, err)
			return
		}
		d.CommentCount, d.CommentRows, d.AllComments = len(comments), commentRowsHTML(comments, words), all
	}
	p := s.newPage(c, s.t(c, "files.title"), "", d)
	if isFragment(c) {
		s.renderBlock(c, status, "files/panel", "files_panel", p) // the card's slot, or an upload's answer
		return
	}
	s.render(c, status, "files/panel", p)
}

func (s *Server) showFiles(c *gin.Context) {
	kind, id, edit, ok := s.recordParams(c)
	if !ok {
		return
	}
	s.renderFilesPanel(c, http.StatusOK, kind, id, edit, nil, "")
}

// uploadFiles streams the request's files to the store one by one; nothing
// is held in memory. A request is all or nothing: when one file is refused
// (or the request is cut off, or holds too many files) the ones stored
// before it are taken back.
func (s *Server) uploadFiles(c *gin.Context) {
	kind, id, edit, ok := s.recordParams(c)
	if !ok {
		return
	}
	if !edit {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	store := s.fileStore()
	var stored []int64
	var problems []string
	status := http.StatusUnprocessableEntity
	undo := func() {
		for _, aid := range stored {
			if _, err := s.db.DeleteAttachment(ctx, models.SystemActor(), aid); err != nil {
				s.log.Error("undo upload", "attachment", aid, "err", err)
			}
		}
		if len(stored) > 0 {
			if _, err := store.CleanFiles(ctx); err != nil {
				s.log.Error("clean files", "err", err)
			}
		}
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.renderFilesPanel(c, http.StatusBadRequest, kind, id, edit, []string{s.t(c, "files.err_request")}, "")
		return
	}
	count := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				status = http.StatusRequestEntityTooLarge
				problems = append(problems, s.t(c, "files.err_request_too_big"))
			} else {
				status = http.StatusBadRequest
				problems = append(problems, s.t(c, "files.err_request"))
			}
			break
		}
		if part.FormName() != "file" || part.FileName() == "" {
			part.Close()
			continue
		}
		count++
		if count > models.MaxFilesPerUpload {
			part.Close()
			problems = append(problems, s.t(c, "files.err_too_many", models.MaxFilesPerUpload))
			break
		}
		a, err := store.Store(ctx, actor(c), kind, id, models.Upload{Name: part.FileName(), Body: part})
		part.Close()
		var fe *models.FileError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &fe):
			problems = append(problems, fe.Name+": "+s.t(c, fe.Key))
			if fe.Key == "files.err_too_big" {
				status = http.StatusRequestEntityTooLarge
			}
		case errors.As(err, &mbe):
			status = http.StatusRequestEntityTooLarge
			problems = append(problems, s.t(c, "files.err_request_too_big"))
		case err != nil && (strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "multipart")):
			status = http.StatusBadRequest
			problems = append(problems, s.t(c, "files.err_request"))
		case err != nil:
			undo()
			s.fail(c, err)
			return
		default:
			stored = append(stored, a.ID)
		}
		if len(problems) > 0 {
			break
		}
	}
	if len(problems) == 0 && count == 0 {
		problems = append(problems, s.t(c, "files.err_none"))
	}
	if len(problems) > 0 {
		undo()
		s.renderFilesPanel(c, status, kind, id, edit, problems, "")
		return
	}
	if isFragment(c) {
		s.renderFilesPanel(c, http.StatusOK, kind, id, edit, nil, "")
		return
	}
	s.flash(c, "files.uploaded")
	redirect(c, "/files/"+kind+"/"+strconv.FormatInt(id, 10))
}

// attachmentParam loads the attachment of :aid if the user may see its
// record; a guessed id of someone else's file is a 404 like a missing one.
func (s *Server) attachmentParam(c *gin.Context) (*models.Attachment, bool, bool) {
	aid, ok := idParam(c, "aid")
	if !ok {
		s.notFound(c)
		return nil, false, false
	}
	a, edit, err := s.db.GetAttachment(c.Request.Context(), actor(c), aid)
	if err != nil {
		s.fail(c, err)
		return nil, false, false
	}
	return a, edit, true
}

// downloadHeaders make sure a stored file never runs in our origin: the
// browser may not sniff it, it is a download unless it is a raster image
// or a PDF (whose types were sniffed at upload, so an HTML file cannot
// pass as one), and the sandbox CSP gives it no script and no origin.
func downloadHeaders(h http.Header, a *models.Attachment, inline bool) {
	h.Set("X-Content-Type-Options", "nosniff")
	disp := "attachment"
	ctype := "application/octet-stream"
	if inline && (a.IsImage() || a.IsPDF()) {
		disp, ctype = "inline", a.Mime
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	if a.IsPDF() && disp == "inline" {
		// Chromium's PDF viewer does not open under a sandbox CSP; a PDF
		// is served as application/pdf only, never as a document.
		h.Set("Content-Security-Policy", "default-src 'none'; object-src 'self'; plugin-types application/pdf; frame-ancestors 'self'")
	} else {
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	}
	h.Set("Cache-Control", "private, no-store")
}

func (s *Server) downloadAttachment(c *gin.Context) {
	a, _, ok := s.attachmentParam(c)
	if !ok {
		return
	}
	path, err := s.fileStore().Path(a.Hash)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		s.notFound(c)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	downloadHeaders(c.Writer.Header(), a, c.Query("dl") == "")
	c.Header("Content-Length", strconv.FormatInt(a.Size, 10))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, f); err != nil {
		s.log.Debug("download cut off", "attachment", a.ID, "err", err)
	}
}

func (s *Server) attachmentThumb(c *gin.Context) {
	a, _, ok := s.attachmentParam(c)
	if !ok {
		return
	}
	if !a.IsImage() {
		s.notFound(c)
		return
	}
	path, err := s.fileStore().Thumbnail(a.Hash)
	if err != nil {
		s.log.Warn("thumbnail", "attachment", a.ID, "err", err)
		s.notFound(c)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("Content-Type", "image/jpeg")
	c.File(path)
}

func (s *Server) deleteAttachment(c *gin.Context) {
	a, edit, ok := s.attachmentParam(c)
	if !ok {
		return
	}
	if !edit {
		s.notFound(c)
		return
	}
	if _, err := s.db.DeleteAttachment(c.Request.Context(), actor(c), a.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "files.deleted")
	redirect(c, "/files/"+a.Kind+"/"+strconv.FormatInt(a.RecordID, 10))
}

// Comments.

func (s *Server) addComment(c *gin.Context) {
	kind, id, edit, ok := s.recordParams(c)
	if !ok {
		return
	}
	if _, ok := models.CommentKinds[kind]; !ok {
		s.notFound(c)
		return
	}
	body := c.PostForm("body")
	_, err := s.db.AddComment(c.Request.Context(), actor(c), kind, id, body, s.recordBack(c, kind, id))
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		s.renderFilesPanel(c, http.StatusUnprocessableEntity, kind, id, edit, []string{s.t(c, fe["body"], models.MaxComment)}, body)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.mailMentions(c, kind, id, body)
	if isFragment(c) {
		s.renderFilesPanel(c, http.StatusOK, kind, id, edit, nil, "")
		return
	}
	redirect(c, "/files/"+kind+"/"+strconv.FormatInt(id, 10))
}

// mailMentions tells the colleagues a comment mentions by e-mail, those who
// chose that channel for mentions (profile page, notices), in their own
// language. The comment is saved already: a mail that cannot be queued is
// logged, not shown as a failure of the comment.
func (s *Server) mailMentions(c *gin.Context, kind string, id int64, body string) {
	ctx := c.Request.Context()
	to, err := s.db.MentionMailTo(ctx, actor(c), kind, id, body)
	if err != nil {
		s.log.Error("mention mail", "err", err)
		return
	}
	link := strings.TrimRight(s.cfg.BaseURL, "/") + s.recordBack(c, kind, id)
	for _, u := range to {
		lang := u.Lang
		if lang == "" {
			lang = "zh"
		}
		subject := s.views.Catalog.T(lang, "comments.mail_subject", currentUser(c).DisplayName)
		text := s.views.Catalog.T(lang, "comments.mail_text", currentUser(c).DisplayName, strings.TrimSpace(body), link)
		if err := s.db.EnqueueMail(ctx, u.Email, u.DisplayName, subject, text, "", jobs.MessageHost(s.cfg.BaseURL)); err != nil {
			s.log.Error("mention mail", "to", u.ID, "err", err)
		}
	}
}

// mentionOptions is the @ autocomplete: colleagues who may see the record.
func (s *Server) mentionOptions(c *gin.Context) {
	kind, id, _, ok := s.recordParams(c)
	if !ok {
		return
	}
	list, err := s.db.MentionCandidates(c.Request.Context(), actor(c), kind, id, strings.TrimPrefix(c.Query("q"), "@"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(list))
	for _, m := range list {
		out = append(out, gin.H{"username": m.Username, "name": m.DisplayName})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) changeComment(del bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		cid, ok := idParam(c, "cid")
		if !ok {
			s.notFound(c)
			return
		}
		ctx := c.Request.Context()
		kind, rid, err := s.db.CommentRecord(ctx, cid)
		if err == nil {
			_, err = s.db.RecordAccess(ctx, actor(c), kind, rid)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		if del {
			err = s.db.DeleteComment(ctx, actor(c), cid)
		} else {
			err = s.db.EditComment(ctx, actor(c), cid, c.PostForm("body"))
		}
		var fe models.FieldErrors
		switch {
		case errors.As(err, &fe):
			edit, _ := s.db.RecordAccess(ctx, actor(c), kind, rid)
			s.renderFilesPanel(c, http.StatusUnprocessableEntity, kind, rid, edit, []string{s.t(c, fe["body"], models.MaxComment)}, "")
			return
		case errors.Is(err, models.ErrConflict):
			s.errorPage(c, http.StatusConflict, "comments.err_window")
			return
		case err != nil:
			s.fail(c, err)
			return
		}
		redirect(c, fmt.Sprintf("/files/%s/%d", kind, rid))
	}
}

// Admin: the file rules and the usage.

type filesAdmin struct {
	Settings   models.FileSettings
	Types      string
	MaxMB      int64
	QuotaMB    int64
	UsedBytes  int64
	Files      int
	UsedPct    int64
	MaxAllowed int
}

func (s *Server) filesAdminPage(c *gin.Context) {
	s.renderFilesAdmin(c, http.StatusOK, nil, nil)
}

func (s *Server) renderFilesAdmin(c *gin.Context, status int, typed *filesAdmin, errs fieldErrors) {
	ctx := c.Request.Context()
	set, err := s.db.FileSettings(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &filesAdmin{Settings: set, Types: strings.Join(set.Types, "\n"), MaxMB: set.MaxBytes >> 20, QuotaMB: set.Quota >> 20,
		MaxAllowed: maxFileSettingMB}
	if typed != nil {
		d.Types, d.MaxMB, d.QuotaMB = typed.Types, typed.MaxMB, typed.QuotaMB
	}
	if d.UsedBytes, d.Files, err = s.db.FileUsage(ctx); err != nil {
		s.fail(c, err)
		return
	}
	if set.Quota > 0 {
		d.UsedPct = d.UsedBytes * 100 / set.Quota
	}
	p := s.newPage(c, s.t(c, "files.admin_title"), "settings", d)
	p.Errors = errs
	s.render(c, status, "files/admin", p)
}

func (s *Server) saveFilesAdmin(c *gin.Context) {
	typed := &filesAdmin{Types: c.PostForm("types")}
	typed.MaxMB, _ = strconv.ParseInt(strings.TrimSpace(c.PostForm("max_mb")), 10, 64)
	typed.QuotaMB, _ = strconv.ParseInt(strings.TrimSpace(c.PostForm("quota_mb")), 10, 64)
	var err error = models.FieldErrors{"max_mb": "files.err_max"}
	if typed.MaxMB <= maxFileSettingMB {
		err = s.db.SaveFileSettings(c.Request.Context(), typed.Types, typed.MaxMB, typed.QuotaMB)
	}
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		s.renderFilesAdmin(c, http.StatusUnprocessableEntity, typed, fe)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "files.settings_saved")
	redirect(c, "/admin/files")
}

// Size is a byte count for people.
func (filesAdmin) Size(n int64) string { return humanSize(n) }

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// linkRe finds the web links of a comment.
var linkRe = regexp.MustCompile(`https?://[^\s<>"]+`)
