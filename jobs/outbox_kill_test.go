package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"keyuan/mail"
	"keyuan/models"
)

// TestMain lets the kill test run this test binary as a mail-sending child
// process: with KEYUAN_OUTBOX_CHILD set, it delivers the outbox of that
// database to that SMTP port until the queue is empty, like a server would
// after a restart (taking over the leases first), and exits.
func TestMain(m *testing.M) {
	if db := os.Getenv("KEYUAN_OUTBOX_CHILD"); db != "" {
		port, _ := strconv.Atoi(os.Getenv("KEYUAN_OUTBOX_PORT"))
		if err := childSender(db, port); err != nil {
			fmt.Fprintln(os.Stderr, "child sender:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func childSender(path string, port int) error {
	ctx := context.Background()
	db, err := models.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := OutboxConfig{BatchSize: 200, Lease: 2 * time.Minute,
		Retry: models.RetryPolicy{MaxAttempts: 8, Base: time.Millisecond, Max: time.Millisecond},
		From:  "crm@example.test", FromName: "客源CRM", BaseURL: "http://crm.example.test"}
	sender := mail.SMTPSender{Config: mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", Timeout: 5 * time.Second}}
	ob := NewOutbox(db, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) (mail.Sender, OutboxConfig, error) {
		return sender, cfg, nil
	})
	if err := ob.TakeOverLeases(ctx); err != nil {
		return err
	}
	for range 50 {
		st, err := ob.Deliver(ctx)
		if err != nil {
			return err
		}
		if st.Sent+st.Retry+st.Failed == 0 {
			return nil
		}
	}
	return nil
}

// TestOutboxKilledTwentyTimes: a sender process killed with SIGKILL at 20
// random moments while it delivers 1,000 invitations to a real SMTP server.
// After each kill a new process takes over at once (no lease to wait out).
// Every recipient gets the invitation, and exactly once except for at most
// one duplicate per kill (the message in flight); nothing stays "sending".
func TestOutboxKilledTwentyTimes(t *testing.T) {
	const total, kills = 1000, 20
	db := newTestDB(t)
	campaignWith(t, db, total, "example.cn", func(i int) string { return fmt.Sprintf("客户%04d", i) })
	srv := newFaultServer(t)
	rng := rand.New(rand.NewPCG(20, 12))

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KEYUAN_OUTBOX_CHILD="+db.Path, "KEYUAN_OUTBOX_PORT="+strconv.Itoa(srv.Port))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	accepted := func() int {
		n := 0
		for _, k := range srv.copies() {
			n += k
		}
		return n
	}
	killed := 0
	for killed < kills {
		// Kill after a random number of further messages, at a random
		// moment within a message's conversation.
		target := accepted() + 10 + rng.IntN(35)
		cmd := start()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(20 * time.Second)
		for accepted() < target && time.Now().Before(deadline) {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("child: %v", err)
				}
				goto done // the queue ran dry before this kill
			case <-time.After(200 * time.Microsecond):
			}
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited
		killed++
	}
done:
	// A last process, not killed, finishes the queue.
	cmd := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("last child: %v", err)
	}
	copies := srv.copies()
	if len(copies) != total {
		t.Fatalf("%d of %d recipients received the invitation (after %d kills)", len(copies), total, killed)
	}
	dups := 0
	for id, k := range copies {
		if k > 2 {
			t.Errorf("%s arrived %d times", id, k)
		}
		dups += k - 1
	}
	if dups > killed {
		t.Errorf("%d duplicates after %d kills: more than one per kill", dups, killed)
	}
	if c := outboxCounts(t, db); c["sent"] != total || c["sending"] != 0 || c["queued"] != 0 {
		t.Fatalf("outbox %v", c)
	}
	if killed < kills/2 {
		t.Errorf("only %d kills landed while sending", killed)
	}
	t.Logf("%d kills, %d duplicates", killed, dups)
}
