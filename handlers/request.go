package handlers

import (
	"context"
	"keyuan/models"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Small typed readers of request values (ids, text), used by every screen.

// parseID reads a positive id from a query (a list filter); anything else
// is 0, so an unparsable filter value is ignored rather than hiding rows.
func parseID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// formID reads a chosen id from a form's select. An empty value is 0
// (nothing chosen). Anything else that is not a positive number
// (industry=bogus, -5) is -1: an id that exists nowhere, so the form's check
// refuses it exactly like an unknown id (99999), with a 422 and the form
// again, instead of silently clearing the field.
func formID(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// loadRecord reads the route's :id and loads that record as the user with
// get: a malformed id is a 404, an error goes to fail (so another user's
// record is a 404 too). ok is false when the response was sent.
func loadRecord[T any](s *Server, c *gin.Context, get func(context.Context, models.Actor, int64) (T, error)) (rec T, id int64, ok bool) {
	id, ok = idParam(c, "id")
	if !ok {
		s.notFound(c)
		return rec, 0, false
	}
	rec, err := get(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return rec, id, false
	}
	return rec, id, true
}

// loadShared is loadRecord for what every user may read alike (users for
// an admin, competitors), so get takes no actor.
func loadShared[T any](s *Server, c *gin.Context, get func(context.Context, int64) (T, error)) (rec T, id int64, ok bool) {
	return loadRecord(s, c, func(ctx context.Context, _ models.Actor, id int64) (T, error) { return get(ctx, id) })
}

// queryPage is the page number a query asks for, from 1 to max; anything
// else (missing, malformed, out of range) is def.
func queryPage(q url.Values, max, def int) int {
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 && p <= max {
		return p
	}
	return def
}

// queryDay is the query's day under key when it is a valid day in range,
// else def.
func queryDay(q url.Values, key, def string) string {
	if d := q.Get(key); validDay(d) {
		return d
	}
	return def
}
