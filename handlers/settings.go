package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

func (s *Server) settingsHome(c *gin.Context) {
	p := s.newPage(c, s.t(c, "settings.title"), "settings", map[string]any{"AuxTypes": models.AuxTypes})
	s.render(c, http.StatusOK, "settings/home", p)
}

// Numbering rules (CRM参数设定).

type numberingRow struct {
	Rule    models.NumberingRule
	Preview string
	Errors  fieldErrors
	Saved   bool
}

type numberingData struct {
	Rows         []numberingRow
	DateParts    []string
	ResetPeriods []string
}

func (s *Server) numberingRules(c *gin.Context) {
	ctx := c.Request.Context()
	rules, err := s.db.NumberingRules(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &numberingData{DateParts: models.DateParts, ResetPeriods: models.ResetPeriods}
	for _, r := range rules {
		prev, err := s.db.PreviewNumber(ctx, r)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Rows = append(data.Rows, numberingRow{Rule: r, Preview: prev})
	}
	s.render(c, http.StatusOK, "settings/numbering", s.newPage(c, s.t(c, "numbering.title"), "settings", data))
}

func validKind(kind string) bool {
	for _, k := range models.DocKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// numberingRuleFrom reads and checks a rule from a form or query.
func numberingRuleFrom(kind string, get func(string) string) (models.NumberingRule, fieldErrors) {
	r := models.NumberingRule{Kind: kind, Prefix: strings.TrimSpace(get("prefix")), DatePart: get("date_part"), Reset: get("reset")}
	errs := fieldErrors{}
	if len(r.Prefix) > 10 || strings.IndexFunc(r.Prefix, func(c rune) bool {
		return !(c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_'))
	}) >= 0 {
		errs["prefix"] = "numbering.prefix_invalid"
	}
	okPart := false
	for _, d := range models.DateParts {
		okPart = okPart || d == r.DatePart
	}
	if !okPart {
		errs["date_part"] = "validation.invalid_choice"
	}
	okReset := false
	for _, d := range models.ResetPeriods {
		okReset = okReset || d == r.Reset
	}
	if !okReset {
		errs["reset"] = "validation.invalid_choice"
	}
	if okPart && okReset && r.RepeatsNumbers() {
		errs["reset"] = "numbering.reset_needs_date"
	}
	w, err := strconv.Atoi(get("width"))
	if err != nil || w < 1 || w > 12 {
		errs["width"] = "numbering.width_invalid"
	}
	r.Width = w
	return r, errs
}

// previewNumbering answers the live preview while a rule is edited (htmx).
func (s *Server) previewNumbering(c *gin.Context) {
	kind := c.Param("kind")
	if !validKind(kind) {
		s.notFound(c)
		return
	}
	r, errs := numberingRuleFrom(kind, c.Query)
	row := numberingRow{Rule: r, Errors: errs}
	if !errs.Any() {
		prev, err := s.db.PreviewNumber(c.Request.Context(), r)
		if err != nil {
			s.fail(c, err)
			return
		}
		row.Preview = prev
	}
	s.renderBlock(c, http.StatusOK, "settings/numbering", "preview_fragment", s.newPage(c, "", "settings", row))
}

func (s *Server) saveNumberingRule(c *gin.Context) {
	kind := c.Param("kind")
	if !validKind(kind) {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	r, errs := numberingRuleFrom(kind, c.PostForm)
	row := numberingRow{Rule: r, Errors: errs}
	status := http.StatusUnprocessableEntity
	if !errs.Any() {
		if err := s.db.SaveNumberingRule(ctx, actor(c).ID, r); err != nil {
			s.fail(c, err)
			return
		}
		status, row.Saved = http.StatusOK, true
	}
	if prev, err := s.db.PreviewNumber(ctx, r); err == nil && !errs.Any() {
		row.Preview = prev
	}
	data := &numberingData{Rows: []numberingRow{row}, DateParts: models.DateParts, ResetPeriods: models.ResetPeriods}
	p := s.newPage(c, s.t(c, "numbering.title"), "settings", data)
	if isFragment(c) {
		s.renderBlock(c, status, "settings/numbering", "rule_fragment", p)
		return
	}
	if row.Saved {
		s.flash(c, "flash.saved")
		redirect(c, "/settings/numbering")
		return
	}
	// Without htmx, show the whole page with this rule's errors.
	rules, err := s.db.NumberingRules(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Rows = nil
	for _, x := range rules {
		if x.Kind == kind {
			data.Rows = append(data.Rows, row)
			continue
		}
		prev, _ := s.db.PreviewNumber(ctx, x)
		data.Rows = append(data.Rows, numberingRow{Rule: x, Preview: prev})
	}
	s.render(c, status, "settings/numbering", p)
}

// Auxiliary items (辅助项目).

type auxData struct {
	Type  string
	Types []string
	Items []models.AuxItem
	Item  models.AuxItem
}

func (s *Server) auxType(c *gin.Context) (string, bool) {
	typ := c.Param("type")
	if !models.ValidAuxType(typ) {
		s.notFound(c)
		return "", false
	}
	return typ, true
}

// auxItemParams reads a list's type and one item's id from the address;
// ok is false when either is not one (404 sent).
func (s *Server) auxItemParams(c *gin.Context) (typ string, id int64, ok bool) {
	if typ, ok = s.auxType(c); !ok {
		return "", 0, false
	}
	if id, ok = idParam(c, "id"); !ok {
		s.notFound(c)
	}
	return typ, id, ok
}

func (s *Server) auxItems(c *gin.Context) {
	typ, ok := s.auxType(c)
	if !ok {
		return
	}
	items, err := s.db.AuxItemsOf(c.Request.Context(), typ)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "aux.type."+typ), "settings", &auxData{Type: typ, Types: models.AuxTypes, Items: items})
	s.render(c, http.StatusOK, "settings/aux_list", p)
}

func (s *Server) renderAuxForm(c *gin.Context, status int, typ string, item models.AuxItem, errs fieldErrors) {
	s.renderForm(c, status, "settings/aux_form", errs, s.t(c, "aux.type."+typ), "settings", &auxData{Type: typ, Types: models.AuxTypes, Item: item})
}

func (s *Server) newAuxItem(c *gin.Context) {
	typ, ok := s.auxType(c)
	if !ok {
		return
	}
	s.renderAuxForm(c, http.StatusOK, typ, models.AuxItem{Type: typ, Active: true}, nil)
}

func (s *Server) editAuxItem(c *gin.Context) {
	typ, id, ok := s.auxItemParams(c)
	if !ok {
		return
	}
	item, err := s.db.AuxItem(c.Request.Context(), id)
	if err != nil || item.Type != typ {
		s.notFound(c)
		return
	}
	s.renderAuxForm(c, http.StatusOK, typ, item, nil)
}

func (s *Server) createAuxItem(c *gin.Context) { s.saveAuxItem(c, 0) }

func (s *Server) updateAuxItem(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	s.saveAuxItem(c, id)
}

func (s *Server) saveAuxItem(c *gin.Context, id int64) {
	typ, ok := s.auxType(c)
	if !ok {
		return
	}
	item := models.AuxItem{ID: id, Type: typ, Code: strings.TrimSpace(c.PostForm("code")),
		NameZH: strings.TrimSpace(c.PostForm("name_zh")), NameEN: strings.TrimSpace(c.PostForm("name_en")),
		Active: c.PostForm("active") == "1"}
	order, err := strconv.Atoi(strings.TrimSpace(c.PostForm("sort_order")))
	item.SortOrder = order
	errs := item.Validate()
	if err != nil {
		errs["sort_order"] = "validation.number"
	}
	if errs.Any() {
		s.renderAuxForm(c, http.StatusUnprocessableEntity, typ, item, errs)
		return
	}
	err = s.db.SaveAuxItem(c.Request.Context(), actor(c).ID, &item)
	if errors.Is(err, models.ErrConflict) {
		s.renderAuxForm(c, http.StatusUnprocessableEntity, typ, item, fieldErrors{"code": "aux.code_taken"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/settings/aux/"+typ)
}

func (s *Server) deleteAuxItem(c *gin.Context) {
	typ, id, ok := s.auxItemParams(c)
	if !ok {
		return
	}
	err := s.db.DeleteAuxItem(c.Request.Context(), actor(c).ID, typ, id)
	if errors.Is(err, models.ErrInUse) {
		s.flash(c, "aux.in_use")
		redirect(c, "/settings/aux/"+typ)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.deleted")
	redirect(c, "/settings/aux/"+typ)
}
