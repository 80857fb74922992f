package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"keyuan/models"
)

func init() { models.SetBcryptCostForTests() }

var testNow = time.Date(2026, 12, 3, 18, 30, 0, 0, time.UTC)

// newData makes a data folder with a real database holding an admin and
// n customers; the database stays open, as a running server's is.
func newData(t *testing.T, n int) (dir string, db *models.DB, admin models.Actor) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	db, err := models.Open(ctx, filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Loc, err = time.LoadLocation("Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateUser(ctx, 0, models.NewUser{Username: "admin", DisplayName: "管理员", Role: models.RoleAdmin, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	admin = models.Actor{ID: id, Role: models.RoleAdmin}
	for i := range n {
		addCustomer(t, db, admin, fmt.Sprintf("南京蓝海科技%d有限公司", i))
	}
	return dir, db, admin
}

func addCustomer(t *testing.T, db *models.DB, admin models.Actor, name string) int64 {
	t.Helper()
	c := &models.Customer{Kind: "customer", Name: name, OwnerID: admin.ID}
	if err := db.CreateCustomer(context.Background(), admin, c, []models.Contact{{Name: "王伟", Mobile: "13800000000", IsPrimary: true}}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// openRestored extracts an archive into a new folder and opens its
// database as the server would (migrations included).
func openRestored(t *testing.T, archive string) (*models.DB, Manifest) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := Extract(ctx, archive, dir)
	if err != nil {
		t.Fatalf("extract %s: %v", archive, err)
	}
	db, err := models.Open(ctx, filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, m
}

// TestBackupWhileWriting backs up while 4 writers create customers (each
// with a contact, in one transaction) and 4 readers page through the list.
// Every customer acknowledged before the backup started must be in the
// restored database, with its contact; the snapshot passed integrity_check
// (Extract checks it again) and the manifest's counts are the restored
// database's.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	dir, db, admin := newData(t, 200)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	var acked []int64
	var writeErrs, reads int
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				c := &models.Customer{Kind: "customer", Name: fmt.Sprintf("并发%d-%d有限公司", w, i), OwnerID: admin.ID}
				err := db.CreateCustomer(context.Background(), admin, c, []models.Contact{{Name: "李娜", Mobile: "13900000000", IsPrimary: true}})
				mu.Lock()
				if err != nil {
					writeErrs++
				} else {
					acked = append(acked, c.ID)
				}
				mu.Unlock()
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for p := 1; ctx.Err() == nil; p++ {
				_, err := db.ListCustomers(context.Background(), admin, models.CustomerFilter{Kind: "customer", Page: p%20 + 1, Sort: "name"})
				mu.Lock()
				if err != nil {
					writeErrs++
				} else {
					reads++
				}
				mu.Unlock()
				_ = r
			}
		})
	}

	// Three backups during about three seconds of load.
	type taken struct {
		path     string
		mustHave []int64
	}
	var backups []taken
	for i := range 3 {
		waitFor(t, &mu, func() bool { return len(acked) >= 50*(i+1) })
		mu.Lock()
		before := slices.Clone(acked)
		mu.Unlock()
		dest := filepath.Join(dir, "backups", ArchiveName(testNow.Add(time.Duration(i)*time.Minute)))
		if _, err := Create(context.Background(), Options{DataDir: dir, Dest: dest, AppVersion: "test", Now: testNow}); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		backups = append(backups, taken{dest, before})
		time.Sleep(time.Second) // let the load go on between backups
	}
	cancel()
	wg.Wait()
	if writeErrs > 0 {
		t.Errorf("%d writes or reads failed during the backups", writeErrs)
	}
	if reads == 0 {
		t.Error("the readers never read")
	}
	t.Logf("%d customers written, %d list pages read", len(acked), reads)

	for i, b := range backups {
		rdb, m := openRestored(t, b.path)
		if m.SchemaVersion == 0 || m.AppVersion != "test" || m.Database.SHA256 == "" {
			t.Errorf("backup %d: manifest %+v", i, m)
		}
		for _, id := range b.mustHave {
			c, err := rdb.GetCustomer(context.Background(), admin, "customer", id)
			if err != nil {
				t.Fatalf("backup %d: customer %d, acknowledged before the backup, is missing: %v", i, id, err)
			}
			contacts, err := rdb.Contacts(context.Background(), c.ID)
			if err != nil || len(contacts) != 1 {
				t.Fatalf("backup %d: customer %d has %d contacts (%v); its transaction was cut", i, id, len(contacts), err)
			}
		}
		n, err := rdb.CountCustomers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if int64(n) != m.Counts["customers"] || m.Counts["contacts"] != m.Counts["customers"] {
			t.Errorf("backup %d: restored %d customers; manifest counts customers %d, contacts %d",
				i, n, m.Counts["customers"], m.Counts["contacts"])
		}
		if n < 200+len(b.mustHave) {
			t.Errorf("backup %d: %d customers, fewer than the %d acknowledged before it", i, n, 200+len(b.mustHave))
		}
	}
}

func waitFor(t *testing.T, mu *sync.Mutex, cond func() bool) {
	t.Helper()
	for range 500 {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the writers made no progress")
}

// TestBackupLock: a second backup beside a running one is refused at once.
func TestBackupLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrBusy) {
		t.Errorf("second lock: %v, want ErrBusy", err)
	}
	release()
	release2, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}

// TestArchiveHoldsFiles: the files the database refers to (<data>/files/)
// go into the archive and come back out byte for byte.
func TestArchiveHoldsFiles(t *testing.T) {
	t.Parallel()
	dir, _, _ := newData(t, 3)
	if err := os.MkdirAll(filepath.Join(dir, "files", "2026", "12"), 0o750); err != nil {
		t.Fatal(err)
	}
	body := []byte("合同扫描件 %PDF-1.7 …")
	if err := os.WriteFile(filepath.Join(dir, "files", "2026", "12", "contract.pdf"), body, 0o640); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), ArchiveName(testNow))
	m, err := Create(context.Background(), Options{DataDir: dir, Dest: dest, AppVersion: "test", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Name != "files/2026/12/contract.pdf" {
		t.Fatalf("manifest files %+v", m.Files)
	}
	out := t.TempDir()
	if _, err := Extract(context.Background(), dest, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "files", "2026", "12", "contract.pdf"))
	if err != nil || string(got) != string(body) {
		t.Errorf("restored file %q, %v", got, err)
	}
}
