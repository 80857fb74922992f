package handlers

import (
	"bytes"
	"context"
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"keyuan/models"
)

// rowTemplate is the markup a list row had when html/template wrote it; the
// writer must produce the same page, value for value.
var rowTemplate = template.Must(template.New("row").Parse(`<tr>
        <td class="col-check"><input type="checkbox" name="id" value="{{.ID}}" aria-label="{{.Name}}"></td>
        <td class="mono hide-sm">{{.Code}}</td>
        <td><a href="{{.URL}}" class="row-link">{{.Name}}</a>{{if .Inactive}} <span class="badge badge-muted">{{.InactiveLabel}}</span>{{else if .Converted}} <span class="badge badge-ok">{{.ConvertedLabel}}</span>{{end}}
          <div class="sub"><span class="mono show-sm">{{.Code}} · </span>{{.Phone}}</div></td>
        <td class="hide-sm">{{.Industry}}</td>
        <td class="hide-sm">{{.Grade}}</td>
        <td class="hide-md">{{.Region}}</td>
        <td class="hide-md">{{with .Stage}}<span class="badge">{{.}}</span>{{end}}</td>
        <td class="hide-sm">{{.PrimaryContact}}</td>
        <td>{{.LastActivityDate}}</td>
        <td>{{.OwnerName}}</td>
      </tr>`))

// betweenTags is the template's line breaks and indentation between elements.
var betweenTags = regexp.MustCompile(`>\n\s*<`)

// TestCustomerRowMatchesTemplate: every value the row writer prints is
// escaped, hostile ones included (in text and in attributes), and the row
// reads exactly as the template wrote it.
func TestCustomerRowMatchesTemplate(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	evil := `"><script>alert(1)</script><img src=x onerror='alert(2)'> & +86`
	// An item name is at most 60 characters: the hostile part fits.
	item := &models.AuxItem{Type: "industry", Code: "EVIL", NameZH: evil[:60], NameEN: evil[:60], Active: true}
	if err := app.db.SaveAuxItem(ctx, 1, item); err != nil {
		t.Fatal(err)
	}
	aux, err := app.db.AuxLookupFor(ctx, "zh")
	if err != nil {
		t.Fatal(err)
	}
	grade := aux.Options("grade")[0].ID
	stage := aux.Options("sales_stage")[0].ID
	badges := rowBadges{Inactive: "停用", Converted: `已转"客户"`}
	k := customerKinds["prospect"]
	for _, r := range []models.CustomerRow{
		{ID: 1, Code: "KH0001", Name: "上海华东精密机械有限公司", IndustryID: item.ID, GradeID: grade, StageID: stage,
			Phone: "+86 21 5550 1234", OwnerName: "张伟", Status: "active", LastActivityDate: "2026-11-20", PrimaryContact: "王建国"},
		{ID: 22, Code: evil, Name: evil, Phone: evil, OwnerName: evil, Status: "inactive", LastActivityDate: evil, PrimaryContact: evil},
		{ID: 333, Code: "QK1", Name: "O'Brien & Co", Status: "converted"},
	} {
		var got strings.Builder
		writeCustomerRow(&got, k, r, aux, badges)
		var want bytes.Buffer
		if err := rowTemplate.Execute(&want, map[string]any{"ID": r.ID, "URL": k.base + "/" + strconv.FormatInt(r.ID, 10), "Code": r.Code,
			"Name": r.Name, "Phone": r.Phone, "Inactive": r.Status == "inactive", "Converted": r.Status == "converted",
			"InactiveLabel": badges.Inactive, "ConvertedLabel": badges.Converted, "Industry": aux.Name(r.IndustryID),
			"Grade": aux.Name(r.GradeID), "Region": aux.Name(r.RegionID), "Stage": aux.Name(r.StageID),
			"PrimaryContact": r.PrimaryContact, "LastActivityDate": r.LastActivityDate, "OwnerName": r.OwnerName}); err != nil {
			t.Fatal(err)
		}
		g, w := got.String(), betweenTags.ReplaceAllString(want.String(), "><")
		if html.UnescapeString(g) != html.UnescapeString(w) {
			t.Errorf("row %d differs from the template's\n got: %s\nwant: %s", r.ID, g, w)
		}
		for _, bad := range []string{"<script", "<img", "onerror='", `已转"`} {
			if strings.Contains(g, bad) {
				t.Errorf("row %d prints %q unescaped: %s", r.ID, bad, g)
			}
		}
	}
}
