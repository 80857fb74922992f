package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/sheet"
	"keyuan/views"
)

// maxUploadBytes caps an import file. 100,000 customers fit in a few MB of
// XLSX; anything far bigger is a mistake or an attack.
const maxUploadBytes = 20 << 20

// previewRows is how many rows the wizard shows before starting.
const previewRows = 20

type importUploadData struct {
	Kind  string
	Kinds []string
	Jobs  []models.ImportJob
}

func importKind(k string) string {
	for _, x := range models.ImportKinds {
		if x == k {
			return x
		}
	}
	return "customer"
}

func (s *Server) canImport(c *gin.Context) bool {
	if !actor(c).EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return false
	}
	return true
}

func (s *Server) renderImportUpload(c *gin.Context, status int, kind string, errs fieldErrors) {
	list, err := s.db.ImportJobs(c.Request.Context(), actor(c), 10)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderForm(c, status, "imports/upload", errs, s.t(c, "import.title"), "import", &importUploadData{Kind: kind, Kinds: models.ImportKinds, Jobs: list})
}

func (s *Server) importUploadPage(c *gin.Context) {
	if !s.canImport(c) {
		return
	}
	s.renderImportUpload(c, http.StatusOK, importKind(c.Query("kind")), nil)
}

// importUpload stores the file, reads its header and starts a draft job
// with a guessed column mapping.
func (s *Server) importUpload(c *gin.Context) {
	if !s.canImport(c) {
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxUploadBytes+1<<20)
	if err := c.Request.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		s.renderImportUpload(c, status, importKind(c.PostForm("kind")), fieldErrors{"file": "import.file_too_large"})
		return
	}
	defer c.Request.MultipartForm.RemoveAll()
	kind := importKind(c.PostForm("kind"))
	fh, err := c.FormFile("file")
	if err != nil {
		s.renderImportUpload(c, http.StatusUnprocessableEntity, kind, fieldErrors{"file": "import.file_missing"})
		return
	}
	if fh.Size > maxUploadBytes {
		s.renderImportUpload(c, http.StatusRequestEntityTooLarge, kind, fieldErrors{"file": "import.file_too_large"})
		return
	}
	if fh.Size == 0 {
		s.renderImportUpload(c, http.StatusUnprocessableEntity, kind, fieldErrors{"file": "import.problem.empty"})
		return
	}
	path, format, err := s.saveUpload(fh.Filename, func() (io.ReadCloser, error) { return fh.Open() })
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := sheet.Open(path, format, "", sheet.DefaultLimits)
	if err != nil {
		os.Remove(path)
		var p *sheet.Problem
		if errors.As(err, &p) {
			s.renderImportUpload(c, http.StatusUnprocessableEntity, kind, fieldErrors{"file": "import.problem." + p.Code})
			return
		}
		s.fail(c, err)
		return
	}
	header := r.Header()
	job := &models.ImportJob{Kind: kind, FileName: truncate(filepath.Base(fh.Filename), 200), Path: path, Format: string(format),
		Sheet: r.Sheet, HeaderLine: r.HeaderLine, Sheets: r.Sheets, Encoding: r.Encoding, Header: header,
		Mapping: models.GuessMapping(kind, header), MatchBy: []string{"code", "name", "phone", "email"}}
	r.Close()
	if kind == "contact" {
		job.MatchBy = []string{"name", "phone", "email"}
	}
	if err := s.db.CreateImportJob(c.Request.Context(), actor(c), job); err != nil {
		os.Remove(path)
		s.fail(c, err)
		return
	}
	// Parse the whole file once, now; the next steps read what is staged.
	if err := jobs.Stage(c.Request.Context(), s.db, actor(c), job); err != nil {
		if derr := s.db.DeleteDraftImportJob(context.Background(), job.ID); derr != nil {
			s.log.Error("delete unstaged import", "job", job.ID, "err", derr)
		}
		os.Remove(path)
		var p *sheet.Problem
		if errors.As(err, &p) {
			s.renderImportUpload(c, http.StatusUnprocessableEntity, kind, fieldErrors{"file": jobs.ProblemKey(err)})
			return
		}
		s.fail(c, err)
		return
	}
	redirect(c, views.Path("import", job.ID, "map"))
}

// saveUpload copies an upload into the data folder under a random name.
func (s *Server) saveUpload(name string, open func() (io.ReadCloser, error)) (string, sheet.Format, error) {
	dir := filepath.Join(s.cfg.DataDir, "imports")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", err
	}
	src, err := open()
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(src, head)
	format := sheet.DetectFormat(head[:n], name)
	path := filepath.Join(dir, models.RandomToken(12)+"."+string(format))
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", "", err
	}
	if _, err := dst.Write(head[:n]); err != nil {
		dst.Close()
		return "", "", err
	}
	if _, err := io.Copy(dst, io.LimitReader(src, maxUploadBytes)); err != nil {
		dst.Close()
		os.Remove(path)
		return "", "", err
	}
	return path, format, dst.Close()
}

// importJob loads the job of the URL for its owner; it has written the
// error page when ok is false.
func (s *Server) importJob(c *gin.Context) (*models.ImportJob, bool) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return nil, false
	}
	job, err := s.db.GetImportJob(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return job, true
}

// importJobAt loads the import job in the address when it is at one of the
// wizard's steps given; otherwise the browser goes to the job's own page,
// which shows where it stands.
func (s *Server) importJobAt(c *gin.Context, statuses ...string) (*models.ImportJob, bool) {
	job, ok := s.importJob(c)
	if ok && !slices.Contains(statuses, job.Status) {
		redirect(c, views.Path("import", job.ID))
		return nil, false
	}
	return job, ok
}

type importMapData struct {
	Job      *models.ImportJob
	Fields   []models.ImportField
	Samples  []string
	MatchOpt []string
	Lines    []headerChoice // lines that could be the header
}

// headerChoice is a line offered as the header row, shown by its first cells.
type headerChoice struct {
	Line int
	Text string
}

// headerChoices lists the first non-blank lines of the job's upload.
func (s *Server) headerChoices(ctx context.Context, job *models.ImportJob) []headerChoice {
	lines, err := s.db.FirstStagedLines(ctx, job.ID, 10)
	if err != nil {
		s.log.Error("staged lines", "job", job.ID, "err", err)
		return nil
	}
	var out []headerChoice
	for _, cand := range lines {
		var cells []string
		for _, c := range cand.Cells {
			if c != "" && len(cells) < 4 {
				cells = append(cells, truncate(c, 20))
			}
		}
		out = append(out, headerChoice{Line: cand.Line, Text: strings.Join(cells, " | ")})
	}
	return out
}

func (s *Server) renderImportMap(c *gin.Context, status int, job *models.ImportJob, errs fieldErrors) {
	data := &importMapData{Job: job, Fields: models.ImportFields(job.Kind), MatchOpt: []string{"code", "name", "phone", "email"}}
	if job.Kind == "contact" {
		data.MatchOpt = []string{"name", "phone", "email"}
	}
	if rows, err := jobs.Preview(c.Request.Context(), s.db, actor(c), job, 1); err == nil && len(rows) > 0 {
		data.Samples = rows[0].Cells
	}
	data.Lines = s.headerChoices(c.Request.Context(), job)
	s.renderForm(c, status, "imports/map", errs, s.t(c, "import.map.title"), "import", data)
}

func (s *Server) importMapPage(c *gin.Context) {
	job, ok := s.importJobAt(c, "draft", "ready")
	if !ok {
		return
	}
	s.renderImportMap(c, http.StatusOK, job, nil)
}

// importMap saves the column mapping (and sheet, duplicate rule), reads the
// whole file once for its size and category values, then shows the preview.
func (s *Server) importMap(c *gin.Context) {
	job, ok := s.importJobAt(c, "draft", "ready")
	if !ok {
		return
	}
	errs := fieldErrors{}
	if sh := c.PostForm("sheet"); job.Format == "xlsx" && sh != "" && sh != job.Sheet {
		// Another sheet: parse it, find its header and guess again.
		if !slices.Contains(job.Sheets, sh) {
			s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"sheet": "import.problem.no_sheet"})
			return
		}
		job.Sheet = sh
		if err := jobs.Stage(c.Request.Context(), s.db, actor(c), job); err != nil {
			var p *sheet.Problem
			if !errors.As(err, &p) {
				s.fail(c, err)
				return
			}
			s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"sheet": jobs.ProblemKey(err)})
			return
		}
		redirect(c, views.Path("import", job.ID, "map"))
		return
	}
	if hl, err := strconv.Atoi(c.PostForm("header_line")); err == nil && hl != job.HeaderLine {
		// Another header row, as the person chose it: name the columns
		// from it and guess again.
		ok, err := jobs.ChooseHeaderLine(c.Request.Context(), s.db, job, hl)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !ok {
			s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"header_line": "import.header_line.bad"})
			return
		}
		if err := s.db.SaveImportSetup(c.Request.Context(), actor(c), job); err != nil {
			s.fail(c, err)
			return
		}
		redirect(c, views.Path("import", job.ID, "map"))
		return
	}
	used := map[string]bool{}
	for i := range job.Header {
		key := c.PostForm("col" + strconv.Itoa(i))
		if _, ok := models.ImportFieldByKey(job.Kind, key); key != "" && !ok {
			key = ""
		}
		if key != "" && used[key] {
			errs["col"+strconv.Itoa(i)] = "import.map.twice"
		}
		used[key] = true
		job.Mapping[i] = key
	}
	for _, f := range models.ImportFields(job.Kind) {
		if f.Required && !used[f.Key] {
			errs["form"] = "import.map.required_missing"
		}
	}
	if job.Kind == "contact" && !used["customer"] && !used["customer_code"] {
		errs["form"] = "import.map.customer_missing"
	}
	switch order := c.PostForm("date_order"); order {
	case jobs.DateOrderMDY, jobs.DateOrderDMY:
		job.DateOrder = order
	case "":
	default:
		errs["date_order"] = "validation.invalid_choice"
	}
	switch mode := c.PostForm("dup_mode"); mode {
	case "skip", "update", "create":
		job.DupMode = mode
	default:
		errs["dup_mode"] = "validation.invalid_choice"
	}
	job.MatchBy = job.MatchBy[:0]
	for _, m := range c.PostFormArray("match_by") {
		switch m {
		case "code", "name", "phone", "email":
			job.MatchBy = append(job.MatchBy, m)
		}
	}
	if len(job.MatchBy) == 0 && job.DupMode != "create" {
		errs["match_by"] = "import.map.match_missing"
	}
	if errs.Any() {
		s.renderImportMap(c, http.StatusUnprocessableEntity, job, errs)
		return
	}
	rows, values, err := jobs.Scan(c.Request.Context(), s.db, job)
	if err != nil {
		s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"form": jobs.ProblemKey(err)})
		return
	}
	if rows == 0 {
		s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"form": "import.problem.no_rows"})
		return
	}
	job.Total = rows
	aux, err := s.db.AuxLookupFor(c.Request.Context(), "zh")
	if err != nil {
		s.fail(c, err)
		return
	}
	// Values found in the file: known ones map to their item; the rest are
	// offered as new items to an administrator and left empty for anyone
	// else (who may pick an existing item on the next page).
	old := job.Values
	job.Values = map[string]map[string]models.ValueChoice{}
	for key, vals := range values {
		f, _ := models.ImportFieldByKey(job.Kind, key)
		job.Values[key] = map[string]models.ValueChoice{}
		for _, v := range vals {
			if prev, ok := old[key][v]; ok {
				job.Values[key][v] = prev
			} else if id := aux.MatchAuxValue(f.AuxType, v); id != 0 {
				job.Values[key][v] = models.ValueChoice{ItemID: id}
			} else {
				job.Values[key][v] = models.ValueChoice{Create: actor(c).CreatesAuxItems()}
			}
		}
	}
	if err := s.db.SaveImportSetup(c.Request.Context(), actor(c), job); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, views.Path("import", job.ID, "preview"))
}

type importPreviewData struct {
	Job         *models.ImportJob
	Rows        []jobs.PreviewRow
	Columns     []importValueColumn
	Bad         int
	CreateItems bool // the user may add new category items
}

// importValueColumn is one category column's values and their choices.
type importValueColumn struct {
	Field  models.ImportField
	Values []importValue
}

type importValue struct {
	Value  string
	Choice models.ValueChoice
}

func (s *Server) importPreviewPage(c *gin.Context) {
	job, ok := s.importJob(c)
	if !ok {
		return
	}
	if job.Status != "ready" {
		redirect(c, views.Path("import", job.ID, "map"))
		return
	}
	s.renderImportPreview(c, http.StatusOK, job, nil)
}

func (s *Server) renderImportPreview(c *gin.Context, status int, job *models.ImportJob, errs fieldErrors) {
	rows, err := jobs.Preview(c.Request.Context(), s.db, actor(c), job, previewRows)
	if err != nil {
		s.renderImportMap(c, http.StatusUnprocessableEntity, job, fieldErrors{"form": jobs.ProblemKey(err)})
		return
	}
	data := &importPreviewData{Job: job, Rows: rows, CreateItems: actor(c).CreatesAuxItems()}
	for _, r := range rows {
		if len(r.Errors) > 0 {
			data.Bad++
		}
	}
	for _, f := range models.ImportFields(job.Kind) {
		vals, ok := job.Values[f.Key]
		if !ok || f.AuxType == "" {
			continue
		}
		col := importValueColumn{Field: f}
		for _, v := range sortedKeys(vals) {
			col.Values = append(col.Values, importValue{Value: v, Choice: vals[v]})
		}
		data.Columns = append(data.Columns, col)
	}
	s.renderForm(c, status, "imports/preview", errs, s.t(c, "import.preview.title"), "import", data)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// importValues saves the category value choices and shows the preview again.
func (s *Server) importValues(c *gin.Context) {
	job, ok := s.importJobAt(c, "ready")
	if !ok {
		return
	}
	errs := fieldErrors{}
	for key, vals := range job.Values {
		f, _ := models.ImportFieldByKey(job.Kind, key)
		for i, v := range sortedKeys(vals) {
			name := fmt.Sprintf("v_%s_%d", key, i)
			switch choice := c.PostForm(name); choice {
			case "", "none":
				vals[v] = models.ValueChoice{}
			case "new":
				if !actor(c).CreatesAuxItems() {
					errs[name] = "validation.invalid_choice"
					continue
				}
				vals[v] = models.ValueChoice{Create: true}
			default:
				id := parseID(choice)
				known, err := s.db.CheckAuxItem(c.Request.Context(), f.AuxType, id)
				if err != nil {
					s.fail(c, err)
					return
				}
				if !known || id == 0 {
					errs[name] = "validation.invalid_choice"
					continue
				}
				vals[v] = models.ValueChoice{ItemID: id}
			}
		}
	}
	if errs.Any() {
		s.renderImportPreview(c, http.StatusUnprocessableEntity, job, errs)
		return
	}
	if err := s.db.SaveImportSetup(c.Request.Context(), actor(c), job); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, views.Path("import", job.ID, "preview"))
}

func (s *Server) importStart(c *gin.Context) {
	job, ok := s.importJob(c)
	if !ok {
		return
	}
	err := s.importer.Start(c.Request.Context(), actor(c), job.ID)
	if err != nil && !errors.Is(err, models.ErrConflict) {
		s.fail(c, err)
		return
	}
	redirect(c, views.Path("import", job.ID))
}

func (s *Server) importCancel(c *gin.Context) {
	job, ok := s.importJob(c)
	if !ok {
		return
	}
	s.importer.Cancel(job.ID)
	redirect(c, views.Path("import", job.ID))
}

type importStatusData struct {
	Job   *models.ImportJob
	Lines []importLine
	Error string
}

// importLine is one row outcome, translated for the report table.
type importLine struct {
	Row     int
	Outcome string
	Reason  string
}

// importStatus shows progress while the job runs (htmx polls the
// "progress" block) and the report when it is over.
func (s *Server) importStatus(c *gin.Context) {
	job, ok := s.importJob(c)
	if !ok {
		return
	}
	data := &importStatusData{Job: job}
	if job.Error != "" {
		data.Error = s.importReason(c, job.Error)
	}
	if job.Finished() {
		results, err := s.db.ImportResults(c.Request.Context(), job.ID, 200)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, r := range results {
			data.Lines = append(data.Lines, importLine{Row: r.Row, Outcome: r.Outcome, Reason: s.importReason(c, r.Reason)})
		}
	}
	p := s.newPage(c, s.t(c, "import.status.title"), "import", data)
	s.renderTargeted(c, http.StatusOK, "imports/status", p, "import-progress", "progress")
}

// importReport downloads every row that was not simply created.
func (s *Server) importReport(c *gin.Context) {
	job, ok := s.importJob(c)
	if !ok {
		return
	}
	results, err := s.db.ImportResults(c.Request.Context(), job.ID, -1)
	if err != nil {
		s.fail(c, err)
		return
	}
	format := exportFormat(c)
	w, err := s.startDownload(c, fmt.Sprintf("import-%d-report", job.ID), format)
	if err != nil {
		s.fail(c, err)
		return
	}
	_ = w.WriteRow(s.t(c, "import.report.row"), s.t(c, "import.report.outcome"), s.t(c, "import.report.reason"))
	for _, r := range results {
		_ = w.WriteValues(r.Row, s.t(c, "import.outcome."+r.Outcome), s.importReason(c, r.Reason))
	}
	if err := w.Close(); err != nil {
		s.log.Error("import report", "err", err)
	}
}

// importReason translates a stored reason for the current request.
func (s *Server) importReason(c *gin.Context, reason string) string {
	return s.views.Catalog.Reason(s.lang(c), reason)
}
