package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// home is the start page, one per role (issue 19): a salesperson's plans
// today; a manager's team this week; service staff's issues. Every number
// links to the list that explains it.
func (s *Server) home(c *gin.Context) {
	a := actor(c)
	switch {
	case a.Can(models.PermActivitiesCreate) && !a.SeesBeyondOwn(models.ModActivities):
		s.todayPlans(c)
	case a.LeadsPeople():
		s.managerHome(c)
	case a.HandlesService():
		s.serviceHome(c)
	default:
		s.render(c, http.StatusOK, "home", s.newPage(c, s.t(c, "home.title"), "home", nil))
	}
}

type managerHomeData struct {
	Week      *models.Digest // this week so far: activities and overdue plans per person, campaigns
	Pipeline  []models.StageTotal
	WeekStart string
	Today     string
	Yesterday string
}

// managerHome is the team this week: activity records per person, overdue
// plans per person, the pipeline by stage, campaigns in progress.
func (s *Server) managerHome(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	today := s.today()
	data := &managerHomeData{WeekStart: day(models.WeekStart(today)), Today: day(today), Yesterday: day(today.AddDate(0, 0, -1))}
	var err error
	if data.Week, err = s.db.BuildTeamWeek(ctx, a, data.WeekStart, data.Today, s.now()); err != nil {
		s.fail(c, err)
		return
	}
	if data.Pipeline, err = s.db.Pipeline(ctx, a); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home_manager", s.newPage(c, s.t(c, "home.title"), "home", data))
}

// serviceHome is service staff's issues: their open ones by priority, the
// unassigned and overdue ones, and the latest articles filed from issues.
func (s *Server) serviceHome(c *gin.Context) {
	board, err := s.db.BuildServiceBoard(c.Request.Context(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home_service", s.newPage(c, s.t(c, "home.title"), "home", board))
}
