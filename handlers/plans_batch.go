package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// Batch planning (批量计划): from the customer or prospect list, ticked rows
// or "all that match the filter" get one plan each over a date range. The
// form carries the list's selection (filter, all, ids) through the preview
// to the confirmation, which re-selects the rows under the same rules.
//
// Distribution: in list order, at most "max per day" plans a day when given
// (filling each day before the next), otherwise as evenly as the days
// allow; Saturdays and Sundays are skipped unless the user unticks that.

// maxBatchDays bounds the date range of one batch.
const maxBatchDays = 366

type batchForm struct {
	Kind         string
	Filter       string // the list's query string
	All          bool
	IDs          []int64
	From, To     string
	Time         string
	MethodID     int64
	Subject      string
	Content      string
	MaxPerDay    int
	MaxPerDayRaw string
	SkipWeekends bool
	Remind       int
	Spacing      int // minutes between one day's visits
}

type batchDay struct {
	Date  string
	Count int
}

type batchPreviewRow struct {
	Date string
	Name string
	Code string
}

type batchData struct {
	Form          batchForm
	K             customerKind
	Count         int
	Days          []batchDay
	Sample        []batchPreviewRow
	Previewed     bool
	RemindChoices []int
	Spacings      []int
	Skipped       int // deactivated records left out
}

func batchFormFrom(c *gin.Context) batchForm {
	f := batchForm{
		Kind:         c.PostForm("kind"),
		Filter:       c.PostForm("filter"),
		All:          c.PostForm("all") == "1",
		From:         strings.TrimSpace(c.PostForm("from")),
		To:           strings.TrimSpace(c.PostForm("to")),
		Time:         strings.TrimSpace(c.PostForm("time")),
		MethodID:     formID(c.PostForm("method")),
		Subject:      strings.TrimSpace(c.PostForm("subject")),
		Content:      strings.TrimSpace(c.PostForm("content")),
		MaxPerDayRaw: strings.TrimSpace(c.PostForm("max_per_day")),
		SkipWeekends: c.PostForm("skip_weekends") == "1",
		Remind:       parseRemind(c.PostForm("remind")),
	}
	// No spacing given is the same time for all; a value not offered is
	// refused with the form.
	if v := c.PostForm("spacing"); v != "" {
		f.Spacing = -1
		if n, err := strconv.Atoi(v); err == nil && slices.Contains(models.BatchSpacings, n) {
			f.Spacing = n
		}
	}
	for _, v := range c.PostFormArray("id") {
		if id := parseID(v); id != 0 {
			f.IDs = append(f.IDs, id)
		}
	}
	return f
}

// batchPlanForm answers the "batch plan" action of a customer list: the
// form, with the selection carried along.
func (s *Server) batchPlanForm(c *gin.Context, k customerKind, ids []int64) {
	f := batchForm{Kind: k.kind, Filter: c.PostForm("filter"), All: c.PostForm("all") == "1",
		From: day(s.today().AddDate(0, 0, 1)), To: day(s.today().AddDate(0, 0, 14)), SkipWeekends: true, Remind: -1,
		Time: "09:00", Spacing: 60}
	if !f.All {
		f.IDs = ids
	}
	data := &batchData{Form: f, K: k, Count: len(ids), RemindChoices: models.RemindChoices, Spacings: models.BatchSpacings}
	s.render(c, http.StatusOK, "plans/batch", s.newPage(c, s.t(c, "batch_plan.title"), k.nav, data))
}

// batchPlans previews (step=preview) or creates (step=confirm) a batch.
func (s *Server) batchPlans(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	f := batchFormFrom(c)
	k, ok := customerKinds[f.Kind]
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	_, ids, err := s.batchIDs(c, k)
	if err != nil {
		s.fail(c, err)
		return
	}
	// A ticked id the actor may not see is somebody else's record: 404,
	// as for any other URL naming it.
	if !f.All && len(ids) < len(f.IDs) {
		s.notFound(c)
		return
	}
	// Deactivated (and converted) records get no visits planned.
	selected := len(ids)
	if ids, err = s.db.ActiveCustomers(ctx, ids); err != nil {
		s.fail(c, err)
		return
	}
	data := &batchData{Form: f, K: k, Count: len(ids), Skipped: selected - len(ids), RemindChoices: models.RemindChoices,
		Spacings: models.BatchSpacings}
	errs, err := s.validateBatch(c, &data.Form, len(ids))
	if err != nil {
		s.fail(c, err)
		return
	}
	var dates []string
	if !errs.Any() {
		dates, err = models.DistributeDates(f.From, f.To, len(ids), data.Form.MaxPerDay, f.SkipWeekends)
		switch {
		case errors.Is(err, models.ErrBatchTooLarge):
			errs["max_per_day"] = "batch_plan.too_many"
		case err != nil:
			errs["to"] = "batch_plan.bad_range"
		}
	}
	if errs.Any() {
		p := s.newPage(c, s.t(c, "batch_plan.title"), k.nav, data)
		p.Errors = errs
		s.render(c, http.StatusUnprocessableEntity, "plans/batch", p)
		return
	}
	if c.PostForm("step") == "confirm" {
		n, err := s.db.CreateBatchPlans(ctx, a, models.BatchPlan{CustomerIDs: ids, Dates: dates, Time: f.Time, Spacing: f.Spacing,
			MethodID: f.MethodID, Subject: f.Subject, Content: f.Content, RemindMinutes: f.Remind})
		if err != nil {
			s.fail(c, err)
			return
		}
		s.flash(c, "batch_plan.created")
		redirect(c, "/plans?origin=batch&from="+dates[0]+"&to="+dates[len(dates)-1]+"&n="+strconv.Itoa(n))
		return
	}
	data.Previewed = true
	for i, d := range dates {
		if len(data.Days) == 0 || data.Days[len(data.Days)-1].Date != d {
			data.Days = append(data.Days, batchDay{Date: d})
		}
		data.Days[len(data.Days)-1].Count++
		if i < 10 {
			if cp, err := s.db.CounterpartAnyStatus(ctx, a, ids[i]); err == nil {
				data.Sample = append(data.Sample, batchPreviewRow{Date: d, Name: cp.Name, Code: cp.Code})
			}
		}
	}
	s.render(c, http.StatusOK, "plans/batch", s.newPage(c, s.t(c, "batch_plan.title"), k.nav, data))
}

func (s *Server) validateBatch(c *gin.Context, f *batchForm, n int) (fieldErrors, error) {
	errs := fieldErrors{}
	if n == 0 {
		errs["form"] = "batch_plan.no_customers"
	}
	if !validDay(f.From) {
		errs["from"] = "activity.date_range"
	}
	if !validDay(f.To) {
		errs["to"] = "activity.date_range"
	}
	if errs["from"] == "" && errs["to"] == "" {
		if f.To < f.From {
			errs["to"] = "batch_plan.end_before_start"
		} else if days := daysBetween(f.From, f.To); days >= maxBatchDays {
			errs["to"] = "batch_plan.range_too_long"
		}
	}
	if f.Time != "" && !validClock(f.Time) {
		errs["time"] = "validation.time"
	}
	if f.Subject == "" {
		errs["subject"] = "validation.required"
	}
	checkLen(errs, "subject", f.Subject, 200)
	checkLen(errs, "content", f.Content, 5000)
	if err := s.db.CheckAux(c.Request.Context(), errs, "method", "activity_method", f.MethodID); err != nil {
		return nil, err
	}
	if f.Spacing < 0 {
		errs["spacing"] = "validation.invalid_choice"
	}
	if f.Remind == -2 {
		errs["remind"] = "validation.invalid_choice"
	}
	if f.MaxPerDayRaw != "" {
		m, err := strconv.Atoi(f.MaxPerDayRaw)
		if err != nil || m < 1 || m > 10000 {
			errs["max_per_day"] = "batch_plan.max_invalid"
		}
		f.MaxPerDay = m
	}
	return errs, nil
}

func daysBetween(from, to string) int {
	a, err1 := parseDay(from)
	b, err2 := parseDay(to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}
