package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyuan/models"
)

// importFile stages, maps and runs an import of a CSV with the given batch
// size, as the wizard does, and returns the finished job.
func importFile(t *testing.T, db *models.DB, path string, batch int) *models.ImportJob {
	t.Helper()
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	job := &models.ImportJob{Kind: "customer", FileName: filepath.Base(path), Path: path, Format: "csv",
		MatchBy: []string{"name"}, DupMode: "skip"}
	if err := db.CreateImportJob(ctx, admin, job); err != nil {
		t.Fatal(err)
	}
	if err := Stage(ctx, db, admin, job); err != nil {
		t.Fatal(err)
	}
	job.MatchBy, job.DupMode = []string{"name"}, "skip"
	n, _, err := Scan(ctx, db, job)
	if err != nil {
		t.Fatal(err)
	}
	job.Total = n
	if err := db.SaveImportSetup(ctx, admin, job); err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	im.batchSize = batch
	if err := im.Start(ctx, admin, job.ID); err != nil {
		t.Fatal(err)
	}
	im.Wait()
	done, err := db.GetImportJob(ctx, admin, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "done" {
		t.Fatalf("job %s: %s", done.Status, done.Error)
	}
	return done
}

// TestImportCountsAddUp: for random files (new names, names repeated in the
// file, names already in the database, rows that fail, rows with a warning)
// and every batch size, total = created + updated + skipped + failed, and the
// report holds every row that was not simply created, with its reason. The
// same file imported again skips every row it created, and says so per row.
func TestImportCountsAddUp(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		for _, batch := range []int{1, 3, 7, 500} {
			t.Run(fmt.Sprintf("seed%d-batch%d", seed, batch), func(t *testing.T) {
				t.Parallel()
				db := newTestDB(t)
				rng := rand.New(rand.NewPCG(seed, uint64(batch)))
				ctx := context.Background()
				admin := models.Actor{ID: 1, Role: models.RoleAdmin}
				for i := range 5 { // names the database has already
					cu := &models.Customer{Kind: "customer", Name: fmt.Sprintf("已有客户%d", i), OwnerID: 1, Status: "active"}
					if err := db.CreateCustomer(ctx, admin, cu, nil); err != nil {
						t.Fatal(err)
					}
				}
				var lines []string
				var names []string
				rows := 20 + rng.IntN(60)
				for i := range rows {
					name, email := fmt.Sprintf("新客户%d-%d", seed, i), ""
					switch k := rng.IntN(10); {
					case k == 0:
						name, email = "", "noname@example.com" // fails: no name
					case k == 1 && len(names) > 0:
						name = names[rng.IntN(len(names))] // again in the file
					case k == 2:
						name = fmt.Sprintf("已有客户%d", rng.IntN(5))
					case k == 3:
						email = "not-an-email" // imported, with a warning
					case k == 4:
						name = strings.Repeat("长", 201) // fails: too long
					}
					if name != "" {
						names = append(names, name)
					}
					lines = append(lines, fmt.Sprintf("%s,%s", name, email))
					if rng.IntN(8) == 0 {
						lines = append(lines, "") // blank lines are not rows
					}
				}
				path := filepath.Join(t.TempDir(), "c.csv")
				if err := os.WriteFile(path, []byte("客户名称,邮箱\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				check := func(job *models.ImportJob) map[int]models.ImportResult {
					t.Helper()
					if sum := job.Created + job.Updated + job.Skipped + job.Failed; sum != rows || job.Total != rows {
						t.Fatalf("total %d, rows %d: created %d + updated %d + skipped %d + failed %d = %d",
							job.Total, rows, job.Created, job.Updated, job.Skipped, job.Failed, sum)
					}
					results, err := db.ImportResults(ctx, job.ID, -1)
					if err != nil {
						t.Fatal(err)
					}
					byRow := map[int]models.ImportResult{}
					notCreated := 0
					for _, r := range results {
						byRow[r.Row] = r
						if r.Outcome != "created" {
							notCreated++
						}
						if r.Reason == "" {
							t.Errorf("row %d (%s) has no reason", r.Row, r.Outcome)
						}
					}
					if notCreated != job.Updated+job.Skipped+job.Failed {
						t.Errorf("report lists %d rows not created, counts say %d", notCreated, job.Updated+job.Skipped+job.Failed)
					}
					return byRow
				}
				first := importFile(t, db, path, batch)
				byRow := check(first)
				for line, r := range byRow {
					if r.Outcome == "created" && !strings.Contains(r.Reason, "validation.email|email|not-an-email") {
						t.Errorf("line %d created with reason %q", line, r.Reason)
					}
				}
				again := importFile(t, db, path, batch)
				check(again)
				if again.Created != 0 || again.Skipped != first.Created+first.Skipped {
					t.Errorf("second import: created %d skipped %d, first created %d skipped %d",
						again.Created, again.Skipped, first.Created, first.Skipped)
				}
			})
		}
	}
}

// TestImportInterruptedByShutdown: a server stopping in the middle of an
// import records it as interrupted by a restart, with exactly what the
// finished batches wrote; the batch in flight rolls back and is neither
// created nor counted as failed.
func TestImportInterruptedByShutdown(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("中断测试客户%02d", i))
	}
	path := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(path, []byte("客户名称\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	job := &models.ImportJob{Kind: "customer", FileName: "c.csv", Path: path, Format: "csv"}
	if err := db.CreateImportJob(ctx, admin, job); err != nil {
		t.Fatal(err)
	}
	if err := Stage(ctx, db, admin, job); err != nil {
		t.Fatal(err)
	}
	job.MatchBy, job.DupMode, job.Total = []string{"name"}, "skip", 40
	if err := db.SaveImportSetup(ctx, admin, job); err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	im.batchSize = 5
	batches := 0
	im.afterBatch = func() {
		if batches++; batches == 3 {
			im.stop() // what Shutdown does, without waiting for ourselves
		}
	}
	if err := im.Start(ctx, admin, job.ID); err != nil {
		t.Fatal(err)
	}
	im.Wait()
	done, err := db.GetImportJob(ctx, admin, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var inDB int
	db.Read.QueryRow(`SELECT COUNT(*) FROM customers WHERE name LIKE '中断测试客户%'`).Scan(&inDB)
	if done.Status != "failed" || done.Error != "import.interrupted" || done.Created != 15 || done.Failed != 0 || inDB != 15 {
		t.Fatalf("status %s (%s), created %d, failed %d, %d in the database", done.Status, done.Error, done.Created, done.Failed, inDB)
	}
}
