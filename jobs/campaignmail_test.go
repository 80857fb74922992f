package jobs

import (
	"strings"
	"testing"
)

// TestFooterInsideTheBody (issue 19): the unsubscribe line and the pixel
// went after </html> when the template was a whole document.
func TestFooterInsideTheBody(t *testing.T) {
	doc := "<!DOCTYPE html><html><body><p>邀请</p></BODY></html>"
	got := insertBeforeBodyEnd(doc, "<p>退订</p>")
	if !strings.HasSuffix(got, "<p>退订</p></BODY></html>") {
		t.Errorf("footer outside the body: %s", got)
	}
	if got := insertBeforeBodyEnd("<p>邀请</p>", "<p>退订</p>"); got != "<p>邀请</p><p>退订</p>" {
		t.Errorf("fragment: %s", got)
	}
}
