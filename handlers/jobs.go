package handlers

import (
	"errors"
	"keyuan/models"
	"keyuan/search"
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
)

// Scheduled jobs (admin): last run, duration and result, and "run now".

// lowDiskWarning is the free space under which the admin pages warn: a
// few days of growth for a busy small business, and room for a backup.
const lowDiskWarning = 1 << 30

// diskSpace is the data folder's free space, for the admin pages.
type diskSpace struct {
	Free string
	Low  bool
}

type jobsData struct {
	Disk        *diskSpace
	MailProblem *models.MailProblem
	Jobs        []jobs.Info
}

func (s *Server) listJobs(c *gin.Context) {
	data := &jobsData{}
	if free, err := search.FreeSpace(s.cfg.DataDir); err == nil {
		data.Disk = &diskSpace{Free: search.Status{DiskFree: free}.DiskFreeText(), Low: free < lowDiskWarning}
	}
	if problem, err := s.db.CurrentMailProblem(c.Request.Context()); err == nil {
		data.MailProblem = problem
	}
	if s.jobs != nil {
		var err error
		if data.Jobs, err = s.jobs.Jobs(c.Request.Context()); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, s.t(c, "jobs.title"), "jobs", data)
	s.renderTargeted(c, http.StatusOK, "admin/jobs", p, "jobs", "jobs")
}

func (s *Server) runJob(c *gin.Context) {
	if s.jobs == nil || !s.jobs.Has(c.Param("name")) {
		s.notFound(c)
		return
	}
	err := s.jobs.RunNow(c.Param("name"))
	switch {
	case errors.Is(err, jobs.ErrRunning):
		s.flash(c, "jobs.already_running")
	case err != nil:
		s.fail(c, err)
		return
	default:
		s.flash(c, "jobs.started")
	}
	redirect(c, "/admin/jobs")
}
