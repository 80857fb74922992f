package handlers

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"keyuan/jobs"
	"keyuan/models"
)

// TestFormAndImporterRefuseTheSameFields feeds one hostile customer row to
// the form handler and to the importer: both go through the models' rules,
// so they name the same fields with the same message keys (the form shows
// them as errors; the importer fails the row for the name and leaves the
// optional values empty with a warning).
func TestFormAndImporterRefuseTheSameFields(t *testing.T) {
	app := newTestApp(t)
	row := map[string]string{
		"name":       strings.Repeat("蓝", 201),
		"short_name": strings.Repeat("x", 101),
		"phone":      "<script>alert(1)</script>",
		"email":      "not an address",
		"website":    "javascript:alert(1)",
		"address":    strings.Repeat("路", 301),
		"notes":      "fine",
	}
	want := map[string]string{"name": "validation.too_long", "short_name": "validation.too_long", "phone": "validation.phone",
		"email": "validation.email", "website": "validation.website", "address": "validation.too_long"}

	// The form: every refused field is marked, with its message.
	form := url.Values{}
	for k, v := range row {
		form.Set(k, v)
	}
	res := app.login("admin").post("/customers", form)
	if res.StatusCode != 422 {
		t.Fatalf("form: %d", res.StatusCode)
	}
	formFields := map[string]bool{}
	for _, m := range regexp.MustCompile(`<p class="field-error" id="err-([a-z_]+)"`).FindAllStringSubmatch(res.Body, -1) {
		formFields[m[1]] = true
	}

	// The importer, with the same row.
	var header, cells []string
	for k, v := range row {
		header, cells = append(header, k), append(cells, v)
	}
	job := &models.ImportJob{Kind: "customer", Mapping: header}
	conv, err := jobs.NewConverter(context.Background(), app.db, models.SystemActor(), job)
	if err != nil {
		t.Fatal(err)
	}
	ir, failed := conv.Convert(cells, nil)
	imported := map[string]string{}
	for _, f := range failed {
		key, field, _ := strings.Cut(f, "|")
		imported[field] = key
	}
	for _, w := range ir.Warnings {
		parts := strings.SplitN(w, "|", 3)
		imported[parts[1]] = parts[0]
	}

	for field, key := range want {
		if imported[field] != key {
			t.Errorf("importer: %s → %q, want %q", field, imported[field], key)
		}
		if !formFields[field] {
			t.Errorf("form: %s not marked", field)
		}
	}
	if len(imported) != len(want) {
		t.Errorf("importer refused %v, want exactly %v", imported, want)
	}
	if !slices.Equal(failed, []string{"validation.too_long|name"}) {
		t.Errorf("the row should fail for its name only: %v", failed)
	}
	if ir.Customer.Website != "" || ir.Customer.Phone != "" || ir.Customer.Notes != "fine" {
		t.Errorf("refused values kept or a good one dropped: %+v", ir.Customer)
	}
}
