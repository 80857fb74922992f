package handlers

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestBrowserImportWizard clicks through the whole import: upload an XLSX
// from the customer list, accept the guessed columns, see a new category
// value offered as a new item, start, watch the progress bar reach 100%,
// and find an imported customer in the list.
func TestBrowserImportWizard(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const rows = 3000
	file := filepath.Join(t.TempDir(), "老系统客户.xlsx")
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"客户名称", "电话", "行业", "联系人", "手机"})
	for i := range rows {
		industry := "零售"
		if i%10 == 0 {
			industry = "新能源" // not in the default list: offered as a new item
		}
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &[]any{fmt.Sprintf("宁波甬江%04d贸易有限公司", i),
			fmt.Sprintf("0574-%08d", i), industry, "林经理", fmt.Sprintf("137%08d", i)})
	}
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)

	do("login",
		chromedp.Navigate(app.ts.URL+"/customers"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)))
	do("upload page",
		chromedp.Click(chromedp.CSS(`a[href="/import?kind=customer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-upload]`)))
	do("upload",
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.mapping`)))
	mapped, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('table.mapping select')].map(s => s.value).join(',')`))
	if err != nil || mapped != "name,phone,industry,contact_name,contact_mobile" {
		t.Fatalf("guessed mapping %q (%v)", mapped, err)
	}
	do("preview",
		chromedp.Click(chromedp.CSS(`button[data-busy]`)),
		chromedp.WaitVisible(chromedp.CSS(`.values-grid`)))
	if got := text(`.values-grid`); !strings.Contains(got, "新能源") {
		t.Fatalf("values section: %q", got)
	}
	if got := text(`main`); !strings.Contains(got, fmt.Sprintf("共有 %d 行", rows)) {
		t.Fatalf("row count not shown: %q", got)
	}
	do("started",
		chromedp.Click(chromedp.CSS(`.sticky-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.progressbar`)))
	// htmx polls the progress block every second until the job is over.
	deadline := time.Now().Add(40 * time.Second)
	for {
		now, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.progressbar').getAttribute('aria-valuenow')`))
		if err != nil {
			t.Fatal(err)
		}
		if now == "100" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress stuck at %s%%", now)
		}
		time.Sleep(300 * time.Millisecond)
	}
	shots.take("finished")
	if got := text(`.stats`); !strings.Contains(got, fmt.Sprint(rows)) {
		t.Fatalf("stats: %q", got)
	}
	if got := text(`#import-progress`); !strings.Contains(got, "导入完成") {
		t.Fatalf("status: %q", got)
	}
	do("list",
		chromedp.Click(chromedp.CSS(`a[href="/customers"].btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := text(`.list-meta .count`); !strings.Contains(got, fmt.Sprint(rows)) {
		t.Fatalf("list count: %q", got)
	}
}
