package handlers

// Benchmarks of attachments and comments (issue 15); see BENCHMARKS.md.
//
//	go test ./handlers -run '^$' -bench 'Attachment|Thumbnail|CardWithFiles' -benchtime 5x -count 3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"keyuan/models"
)

// textReader yields n bytes of text (seed makes each upload new content)
// from one small block, so the generator allocates nothing per byte.
type textReader struct {
	n, off int
	block  []byte
}

func newTextReader(n, seed int) *textReader {
	var b bytes.Buffer
	for i := 0; b.Len() < 4096; i++ {
		fmt.Fprintf(&b, "upload %d line %d of a large quotation text\n", seed, i)
	}
	return &textReader{n: n, block: b.Bytes()}
}

func (r *textReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+r.n)], r.block[r.off:])
		r.off = (r.off + c) % len(r.block)
		k += c
		r.n -= c
	}
	return k, nil
}

// streamUpload posts size bytes as one file, written to the request while
// it is sent (the client holds no copy either).
func streamUpload(t testing.TB, c *client, path string, size, seed int) int {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", fmt.Sprintf("big-%d.txt", seed))
		if err == nil {
			_, err = io.Copy(fw, newTextReader(size, seed))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, c.app.ts.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestUpload20MBMemoryBounded: a 20 MB upload allocates a small fraction
// of its size in the whole process (client, server, hashing, sniffing):
// it is streamed to disk, never held.
func TestUpload20MBMemoryBounded(t *testing.T) {
	f := newFixture(t)
	s1 := f.login("sales1")
	path := fmt.Sprintf("/files/customer/%d", f.mine["customer"].id)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if st := streamUpload(t, s1, path, 20<<20, 1); st != http.StatusSeeOther {
		t.Fatalf("status %d", st)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KB for a 20 MB upload", alloc>>10)
	if alloc > 6<<20 {
		t.Errorf("a 20 MB upload allocated %d MB: it is held in memory", alloc>>20)
	}
}

func BenchmarkAttachmentUpload20MB(b *testing.B) {
	app := newTestAppWith(b, Config{})
	app.addUser("sales1", models.RoleSales)
	cu := app.addRecord(2, "customer", "基准附件公司")
	c := app.login("sales1")
	path := fmt.Sprintf("/files/customer/%d", cu.id)
	b.SetBytes(20 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if st := streamUpload(b, c, path, 20<<20, i); st != http.StatusSeeOther {
			b.Fatalf("status %d", st)
		}
	}
}

func BenchmarkThumbnail12MP(b *testing.B) {
	dir := b.TempDir()
	db, err := models.Open(context.Background(), filepath.Join(dir, "t.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := models.FileStore{DB: db, Dir: filepath.Join(dir, "files")}
	// A 4000×3000 photo-like JPEG (gradients, so it compresses like one).
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	hash := hex.EncodeToString(sum[:])
	path, err := store.Path(hash)
	if err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o750)
	if err := os.WriteFile(path, buf.Bytes(), 0o640); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		os.RemoveAll(filepath.Join(store.Dir, "thumbs"))
		if _, err := store.Thumbnail(hash); err != nil {
			b.Fatal(err)
		}
	}
}

// cardWithFilesFixture is the data of BenchmarkCardWithFiles: a
// salesperson's customer without files and comments and one with 50
// attachments and 200 comments, and the salesperson's client.
func cardWithFilesFixture(b *testing.B) (c *client, empty, full int64) {
	app := newTestAppWith(b, Config{})
	ctx := context.Background()
	app.addUser("sales1", models.RoleSales)
	owner := models.Actor{ID: 2, Role: models.RoleSales}
	emptyRec := app.addRecord(2, "customer", "空白客户")
	fullRec := app.addRecord(2, "customer", "附件很多的客户")
	store := app.srv.fileStore()
	png := testPNG(b, 64, 48)
	for i := range 50 {
		body := append(bytes.Clone(png), []byte(strconv.Itoa(i))...) // 50 distinct files
		if _, err := store.Store(ctx, owner, "customer", fullRec.id, models.Upload{Name: fmt.Sprintf("照片%02d.png", i), Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		if _, err := app.db.AddComment(ctx, owner, "customer", fullRec.id, fmt.Sprintf("第 %d 条评论，见 https://example.com/%d", i, i), "/"); err != nil {
			b.Fatal(err)
		}
	}
	return app.login("sales1"), emptyRec.id, fullRec.id
}

// BenchmarkCardWithFiles times a customer card with its files panel (the
// card and the htmx request the card makes) for a customer without files
// and comments and one with 50 attachments and 200 comments, back to back
// in each iteration, and reports the ratio.
func BenchmarkCardWithFiles(b *testing.B) {
	c, empty, full := cardWithFilesFixture(b)
	cardRatio(b, c, "/customers/", "customer", empty, full)
}

// cardRatio opens the card (cardPath + id) and its files panel of a record
// without files and one with, back to back in each iteration, and reports
// their process CPU time and its ratio.
func cardRatio(b *testing.B, c *client, cardPath, kind string, empty, full int64) {
	// Process CPU time, not wall time: the shared machine's load (other
	// processes) does not count, only this process's work (client, server,
	// GC) does.
	open := func(id int64) time.Duration {
		start := cpuTime()
		card := c.get(fmt.Sprintf("%s%d", cardPath, id))
		panel := c.get(fmt.Sprintf("/files/%s/%d", kind, id), "HX-Request", "true")
		if card.StatusCode != http.StatusOK || panel.StatusCode != http.StatusOK {
			b.Fatalf("card %d, panel %d", card.StatusCode, panel.StatusCode)
		}
		return cpuTime() - start
	}
	var tEmpty, tFull time.Duration
	for b.Loop() {
		tEmpty += open(empty)
		tFull += open(full)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tEmpty.Microseconds())/n, "cpu-µs-without/op")
	b.ReportMetric(float64(tFull.Microseconds())/n, "cpu-µs-with/op")
	b.ReportMetric(float64(tFull)/float64(tEmpty), "ratio")
}

// BenchmarkIssueCardWithFiles is the same for a service issue's card (its
// own timeline with the comments, the panel with paste): an issue without
// files and comments and one with 50 screenshots and 200 comments, opened
// by a service colleague.
func BenchmarkIssueCardWithFiles(b *testing.B) {
	app := newTestAppWith(b, Config{})
	ctx := context.Background()
	sid := app.addUser("service1", models.RoleService)
	svc := models.Actor{ID: sid, Role: models.RoleService}
	cu := &models.Customer{Kind: "customer", Name: "工单附件客户公司", OwnerID: 1}
	if err := app.db.CreateCustomer(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, cu, nil); err != nil {
		b.Fatal(err)
	}
	var ids [2]int64
	for i := range ids {
		iss := &models.Issue{CustomerID: cu.ID, Subject: fmt.Sprintf("屏幕报错 %d", i), Priority: "normal"}
		if err := app.db.CreateIssue(ctx, svc, iss); err != nil {
			b.Fatal(err)
		}
		ids[i] = iss.ID
	}
	store := app.srv.fileStore()
	png := testPNG(b, 64, 48)
	for i := range 50 {
		body := append(bytes.Clone(png), []byte(strconv.Itoa(i))...) // 50 distinct files
		if _, err := store.Store(ctx, svc, "issue", ids[1], models.Upload{Name: fmt.Sprintf("截图%02d.png", i), Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		if _, err := app.db.AddComment(ctx, svc, "issue", ids[1], fmt.Sprintf("第 %d 条评论，见 https://example.com/%d", i, i), "/"); err != nil {
			b.Fatal(err)
		}
	}
	cardRatio(b, app.login("service1"), "/issues/", "issue", ids[0], ids[1])
}

// BenchmarkCardWithFilesParts splits BenchmarkCardWithFiles's figures into
// its two requests, the card and the panel, each for the customer without
// and with files (same data, same requests), to show where the difference
// is. Allocations are of the whole process, both customers.
func BenchmarkCardWithFilesParts(b *testing.B) {
	c, empty, full := cardWithFilesFixture(b)
	var cpu [2][2]time.Duration // [customer][card, panel]
	b.ReportAllocs()
	for b.Loop() {
		for i, id := range []int64{empty, full} {
			start := cpuTime()
			card := c.get(fmt.Sprintf("/customers/%d", id))
			mid := cpuTime()
			panel := c.get(fmt.Sprintf("/files/customer/%d", id), "HX-Request", "true")
			cpu[i][0] += mid - start
			cpu[i][1] += cpuTime() - mid
			if card.StatusCode != http.StatusOK || panel.StatusCode != http.StatusOK {
				b.Fatalf("card %d, panel %d", card.StatusCode, panel.StatusCode)
			}
		}
	}
	n := float64(b.N)
	for i, who := range []string{"without", "with"} {
		b.ReportMetric(float64(cpu[i][0].Microseconds())/n, "cpu-µs-card-"+who+"/op")
		b.ReportMetric(float64(cpu[i][1].Microseconds())/n, "cpu-µs-panel-"+who+"/op")
	}
}
