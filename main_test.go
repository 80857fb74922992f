package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyuan/handlers"
	"keyuan/jobs"
	"keyuan/models"
)

// TestEverySubcommandRuns runs each command of the binary once against a
// fresh data folder, with the shared settings (reindex used to fail with
// `log level "": unknown name` because it defined no --log-level).
func TestEverySubcommandRuns(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KEYUAN_ADMIN_PASSWORD", "subcommand-test-pw")
	t.Setenv("KEYUAN_LOG_LEVEL", "warn")
	if err := gen([]string{"--data", dir, "--customers", "30", "--sales", "2", "--issues", "5"}); err != nil {
		t.Fatalf("gen: %v", err)
	}
	if err := reindex([]string{"--data", dir, "--log-level", "error"}); err != nil {
		t.Fatalf("reindex: %v", err)
	}
	if err := reindex([]string{"--data", dir, "--log-level", "loud"}); err == nil || !strings.Contains(err.Error(), "log level") {
		t.Errorf("a bad --log-level: %v", err)
	}
	for _, cmd := range []func([]string) error{serve, gen, reindex} {
		if err := cmd([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("-h: %v", err)
		}
	}

	// serve starts, answers, and stops cleanly on SIGTERM with no error.
	stop := startServe(t, dir)
	// While it runs, the data folder is its alone.
	if err := reindex([]string{"--data", dir}); err == nil || !strings.Contains(err.Error(), "another Keyuan server") {
		t.Errorf("reindex beside a running server: %v", err)
	}
	stop()
	if _, err := os.Stat(filepath.Join(dir, "keyuan.db")); err != nil {
		t.Fatal(err)
	}
}

// startServe runs the serve command on dir at a free local port (mail
// delivery off) and waits until it answers /healthz. stop sends SIGTERM, as
// a service manager does, and waits for serve to return without error.
func startServe(t *testing.T, dir string) (stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan error, 1)
	go func() {
		done <- serve([]string{"--data", dir, "--listen", addr, "--jobs-off", "deliver_mail"})
	}()
	up := false
	for i := 0; i < 200 && !up; i++ {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			up = res.StatusCode == http.StatusOK
		}
		if !up {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !up {
		t.Fatal("serve did not come up")
	}
	return func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve stopped with %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop on SIGTERM")
		}
	}
}

// TestStopEndsLongDownloads: a requested stop gives requests the grace
// period, then ends a download that would run for minutes, stops the
// scheduled jobs (a running one sees its context cancelled) and returns
// nil, so the process exits 0.
func TestStopEndsLongDownloads(t *testing.T) {
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobStopped := make(chan struct{})
	jobStarted := make(chan struct{})
	sched, err := jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), time.UTC, []jobs.Job{{Name: "slow", Schedule: "@every 1h",
		Enabled: true, Run: func(ctx context.Context) (string, error) {
			close(jobStarted)
			<-ctx.Done()
			close(jobStopped)
			return "", ctx.Err()
		}}})
	if err != nil {
		t.Fatal(err)
	}
	sched.Start()
	if err := sched.RunNow("slow"); err != nil {
		t.Fatal(err)
	}
	<-jobStarted
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	streaming := make(chan struct{})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(streaming)
		for i := 0; i < 60_000; i++ { // a ten-minute "export"
			if _, err := w.Write([]byte("row\n")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	})}
	go hs.Serve(l)
	res, err := http.Get("http://" + l.Addr().String() + "/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	<-streaming
	read := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, res.Body); read <- err }()

	stopped := make(chan error, 1)
	go func() {
		stopped <- stopServer(slog.New(slog.NewTextHandler(io.Discard, nil)), hs, &handlers.App{Scheduler: sched}, 200*time.Millisecond)
	}()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("a requested stop returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("stop hung on a long download")
	}
	select {
	case <-jobStopped:
	default:
		t.Error("the running job was not stopped")
	}
	select {
	case <-read: // the download ended (cut off), instead of running on
	case <-time.After(5 * time.Second):
		t.Error("the download still runs after the stop")
	}
}
