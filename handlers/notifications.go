package handlers

import (
	"keyuan/views"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Notifications: the bell in the top bar and its list.

// notificationCount answers the bell's poll with the unread count.
func (s *Server) notificationCount(c *gin.Context) {
	n, err := s.db.UnreadNotifications(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderBlock(c, http.StatusOK, "notifications", "bell_count", s.newPage(c, "", "", n))
}

func (s *Server) listNotifications(c *gin.Context) {
	list, err := s.db.Notifications(c.Request.Context(), currentUser(c).ID, 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "notifications", s.newPage(c, s.t(c, "notification.title"), "", list))
}

// openNotification marks one read and goes to its plan.
func (s *Server) openNotification(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	planID, link, err := s.db.ReadNotification(c.Request.Context(), currentUser(c).ID, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if planID == 0 && strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") {
		redirect(c, link) // links are written by the application, local only
		return
	}
	redirect(c, views.Path("plan", planID))
}

func (s *Server) readAllNotifications(c *gin.Context) {
	if err := s.db.ReadAllNotifications(c.Request.Context(), currentUser(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/notifications")
}
