package handlers

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyuan/backup"
	"keyuan/jobs"
	"keyuan/models"
)

// waitBackupRun waits for the backup job's newest run to finish.
func waitBackupRun(t *testing.T, a *testApp) *models.JobRun {
	t.Helper()
	for range 1000 {
		run, err := a.db.LastJobRun(context.Background(), jobs.BackupJob)
		if err != nil {
			t.Fatal(err)
		}
		if run != nil && !run.Running {
			return run
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the backup did not finish")
	return nil
}

// TestBackupsPage: an admin sees the warning while there is no backup,
// backs up now (with the progress polling), sees the archive and its run,
// downloads it whole, deletes it; names that are not a listed archive are
// 404 and remove nothing.
func TestBackupsPage(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := start
	a.db.SetClock(func() time.Time { return now })
	for i := range 3 {
		c := &models.Customer{Kind: "customer", Name: "备份测试" + string(rune('甲'+i)) + "有限公司", OwnerID: 1}
		if err := a.db.CreateCustomer(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	admin := a.login("admin")

	res := admin.get("/admin/backups")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "还没有任何成功的备份") ||
		!strings.Contains(res.Body, "立即备份") {
		t.Fatalf("page before any backup: %d\n%s", res.StatusCode, res.Body)
	}
	res = admin.post("/admin/backups", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/backups?started=1" {
		t.Fatalf("back up now: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Just after the click the block polls, whether or not the run has
	// started yet.
	res = admin.get("/admin/backups?started=1")
	if !strings.Contains(res.Body, `hx-trigger="every 1s"`) {
		t.Errorf("the page does not poll after 'back up now'")
	}
	run := waitBackupRun(t, a)
	if !run.OK || run.Trigger != "manual" {
		t.Fatalf("backup run: %+v", run)
	}
	name := backup.ArchiveName(start)
	if !strings.Contains(run.Result, name) {
		t.Errorf("run result %q does not name %s", run.Result, name)
	}

	// The polled block alone, no longer polling, with the archive.
	res = admin.get("/admin/backups", "HX-Request", "true", "HX-Target", "backups")
	if strings.Contains(res.Body, "<html") || strings.Contains(res.Body, `hx-trigger="every 1s"`) ||
		!strings.Contains(res.Body, name) || strings.Contains(res.Body, "还没有任何成功的备份") {
		t.Errorf("the polled block after the run:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, "badge-ok") {
		t.Errorf("the run's result is not shown")
	}

	res = admin.get("/admin/backups/" + name)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/gzip" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), name) {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	dl := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(dl, []byte(res.Body), 0o640); err != nil {
		t.Fatal(err)
	}
	m, err := backup.Extract(ctx, dl, t.TempDir())
	if err != nil {
		t.Fatalf("the download is not a whole backup: %v", err)
	}
	if m.Counts["customers"] != 3 {
		t.Errorf("downloaded backup holds %d customers", m.Counts["customers"])
	}

	// Three days on, the backup is stale.
	now = start.Add(72 * time.Hour)
	res = admin.get("/admin/backups")
	if !strings.Contains(res.Body, "已超过两天") {
		t.Errorf("no warning for a three-day-old backup")
	}

	for _, bad := range []string{"keyuan-20991203-183000Z.tar.gz", "..%2Fkeyuan.db", "keyuan.db", "backup.lock"} {
		if res := admin.get("/admin/backups/" + bad); res.StatusCode != http.StatusNotFound {
			t.Errorf("download %s: %d", bad, res.StatusCode)
		}
		if res := admin.post("/admin/backups/"+bad+"/delete", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("delete %s: %d", bad, res.StatusCode)
		}
	}
	if _, err := os.Stat(a.db.Path); err != nil {
		t.Fatal(err)
	}
	res = admin.post("/admin/backups/"+name+"/delete", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if list, _ := a.srv.backups.List(); len(list) != 0 {
		t.Errorf("after delete: %v", list)
	}
}

// TestDigestSaysBackupFailed: a failed last backup is a line of the
// managers' digest, in the text and the HTML part; a good one is not.
func TestDigestSaysBackupFailed(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	mgr := a.addUser("zhuguan", models.RoleManager)
	u, err := a.db.UserByID(ctx, mgr)
	if err != nil {
		t.Fatal(err)
	}
	record := func(ok bool, result string) {
		id, err := a.db.StartJobRun(ctx, jobs.BackupJob, "schedule")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.db.FinishJobRun(ctx, id, time.Second, ok, result); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Date(2026, 12, 4, 8, 0, 0, 0, a.db.Location())
	record(false, "snapshot of keyuan.db: disk I/O error")
	m, err := a.app.Reports.DigestMail(ctx, u, models.DigestSetting{UserID: mgr, Frequency: "daily", Hour: 8}, due)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "数据备份失败：snapshot of keyuan.db: disk I/O error") || !strings.Contains(m.HTML, "/admin/backups") {
		t.Errorf("digest does not say the backup failed:\n%s", m.Text)
	}
	record(true, "keyuan-x.tar.gz, 1 MB")
	m, err = a.app.Reports.DigestMail(ctx, u, models.DigestSetting{UserID: mgr, Frequency: "daily", Hour: 8}, due)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "数据备份失败") || strings.Contains(m.HTML, "/admin/backups") {
		t.Errorf("digest still names a backup failure after a good run")
	}
}
