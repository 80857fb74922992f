package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
)

// Scheduled jobs (admin): last run, duration and result, and "run now".

// UseScheduler gives the admin pages the running scheduler.
func (s *Server) UseScheduler(j *jobs.Scheduler) { s.jobs = j }

type jobsData struct {
	Jobs []jobs.Info
}

func (s *Server) listJobs(c *gin.Context) {
	data := &jobsData{}
	if s.jobs != nil {
		var err error
		if data.Jobs, err = s.jobs.Jobs(c.Request.Context()); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, s.t(c, "jobs.title"), "jobs", data)
	if isFragment(c) && c.GetHeader("HX-Target") == "jobs" {
		s.renderBlock(c, http.StatusOK, "admin/jobs", "jobs", p)
		return
	}
	s.render(c, http.StatusOK, "admin/jobs", p)
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
