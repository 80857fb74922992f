package main

import (
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	// While it runs, the data folder is its alone.
	if err := reindex([]string{"--data", dir}); err == nil || !strings.Contains(err.Error(), "another Keyuan server") {
		t.Errorf("reindex beside a running server: %v", err)
	}
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
	if _, err := os.Stat(filepath.Join(dir, "keyuan.db")); err != nil {
		t.Fatal(err)
	}
}
