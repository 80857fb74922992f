package search

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"keyuan/models"
)

// TestWorkerWaitsOutAFullDisk: with the disk almost full, the worker writes
// nothing to the index (Bleve half-written into a full disk has panicked on
// the retry), says so in its status, keeps the queue, and catches up by
// itself once there is room again.
func TestWorkerWaitsOutAFullDisk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.open()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	var free atomic.Uint64
	free.Store(1 << 20) // 1 MB: under the 64 MB floor
	svc, err := Open(ctx, f.db, f.dir, f.log, Options{PollInterval: 10 * time.Millisecond,
		FreeSpace: func(string) (uint64, error) { return free.Load(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	f.svc = svc
	t.Cleanup(func() { svc.Close() })
	waitFor(t, func() bool { st := svc.Status(); return st.State == "disk_full" && st.DiskLow && st.DiskFree == 1<<20 })

	cu := &models.Customer{Kind: "customer", Name: "磁盘已满测试有限公司", OwnerID: 1}
	if err := f.db.CreateCustomer(ctx, admin, cu, nil); err != nil {
		t.Fatal(err)
	}
	// The worker has looked at least twice since the change: still queued.
	for range 3 {
		seen := svc.Status().DiskFree
		free.Store(seen + 1)
		waitFor(t, func() bool { return svc.Status().DiskFree == seen+1 })
		free.Store(1 << 20)
	}
	if n, _, err := f.db.QueueState(ctx); err != nil || n == 0 {
		t.Fatalf("the change left the queue while the disk was full: %d %v", n, err)
	}

	free.Store(10 << 30)
	waitFor(t, func() bool { return len(f.search(admin, Query{Text: "磁盘已满测试", Size: 5}).Hits) == 1 })
	if st := svc.Status(); st.State != "ready" || st.DiskLow {
		t.Errorf("after the disk has room again: %+v", st)
	}
}
