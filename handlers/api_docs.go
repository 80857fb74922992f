package handlers

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// openAPIDoc is the API's OpenAPI 3.1 description. The API tests validate
// it, and every request and answer they make against it, so it cannot
// drift from the code.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPIDocument(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDoc)
}

type apiOperation struct {
	Method, Path, Summary string
}

// apiOperations lists the document's operations for the readable page.
func apiOperations() ([]apiOperation, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return nil, err
	}
	var out []apiOperation
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Summary string `json:"summary"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, err
			}
			out = append(out, apiOperation{Method: strings.ToUpper(method), Path: "/api/v1" + path, Summary: op.Summary})
		}
	}
	slices.SortFunc(out, func(a, b apiOperation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out, nil
}

// apiDocsPage is the readable page of the API inside the app.
func (s *Server) apiDocsPage(c *gin.Context) {
	ops, err := apiOperations()
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "api_docs", s.newPage(c, s.t(c, "api.docs.title"), "", ops))
}
