// Package jobs is the work done away from a request: the scheduled jobs (a
// named list, standard.go, each with a cron schedule, never overlapping
// itself, surviving panics, cancelled on shutdown, every run's outcome kept
// for the admin), the outbox that delivers all mail, the rendering of report,
// digest and invitation e-mail, and the import runner.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"keyuan/models"
)

// Job is one scheduled job. Run reports what it did in a short line.
type Job struct {
	Name     string
	Schedule string // cron spec, e.g. "@every 1m" or "0 3 * * *"
	Enabled  bool
	Run      func(ctx context.Context) (string, error)
}

// Info is what the admin page shows about a job.
type Info struct {
	Name     string
	Schedule string
	Enabled  bool
	Running  bool
	Next     time.Time
	Last     *models.JobRun
}

// ErrUnknownJob and ErrRunning answer "run now" for a job that does not
// exist or is running already.
var (
	ErrUnknownJob = errors.New("jobs: unknown job")
	ErrRunning    = errors.New("jobs: already running")
)

type entry struct {
	job     Job
	id      cron.EntryID
	running atomic.Bool
}

// Scheduler runs the jobs.
type Scheduler struct {
	db      *models.DB
	log     *slog.Logger
	cron    *cron.Cron
	entries []*entry
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// New builds a scheduler for jobs; Start starts it. Scheduled runs are
// wrapped in SkipIfStillRunning then Recover — in that order, since with
// robfig/cron v3.0.1 the other order leaves a job that panicked skipped
// forever.
func New(db *models.DB, log *slog.Logger, loc *time.Location, list []Job) (*Scheduler, error) {
	l := cronLogger{log}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{db: db, log: log, ctx: ctx, cancel: cancel,
		cron: cron.New(cron.WithLocation(loc), cron.WithLogger(l),
			cron.WithChain(cron.SkipIfStillRunning(l), cron.Recover(l)))}
	seen := map[string]bool{}
	for _, j := range list {
		if seen[j.Name] {
			cancel()
			return nil, fmt.Errorf("jobs: %s listed twice", j.Name)
		}
		seen[j.Name] = true
		e := &entry{job: j}
		id, err := s.cron.AddJob(j.Schedule, cron.FuncJob(func() { s.run(e, "schedule") }))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("jobs: %s schedule %q: %w", j.Name, j.Schedule, err)
		}
		e.id = id
		if !j.Enabled {
			// Disabled jobs stay listed (and can be run by hand) but are
			// never scheduled.
			s.cron.Remove(id)
			e.id = 0
		}
		s.entries = append(s.entries, e)
	}
	return s, nil
}

// run executes one job and records the run. A panic is recorded and then
// passed on to cron's Recover, which logs it.
func (s *Scheduler) run(e *entry, trigger string) {
	if !e.running.CompareAndSwap(false, true) {
		return
	}
	defer e.running.Store(false)
	ctx := s.ctx
	elapsed := models.Stopwatch()
	id, err := s.db.StartJobRun(ctx, e.job.Name, trigger)
	if err != nil {
		s.log.Error("job run not recorded", "job", e.job.Name, "err", err)
	}
	finish := func(ok bool, result string) {
		d := elapsed()
		if id != 0 {
			// The run is over even when shutdown cancelled ctx: record it.
			if err := s.db.FinishJobRun(context.WithoutCancel(ctx), id, d, ok, result); err != nil {
				s.log.Error("job result not recorded", "job", e.job.Name, "err", err)
			}
		}
		s.log.Info("job finished", "job", e.job.Name, "trigger", trigger, "ok", ok, "duration", d, "result", result)
	}
	defer func() {
		if r := recover(); r != nil {
			finish(false, fmt.Sprintf("panic: %v", r))
			panic(r)
		}
	}()
	result, err := e.job.Run(ctx)
	if err != nil {
		finish(false, err.Error())
		return
	}
	finish(true, result)
}

// Start starts the schedule.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop cancels running jobs' contexts, stops the schedule and waits for
// running jobs to return, or for ctx to end.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.cancel()
	stopped := s.cron.Stop()
	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scheduler) entry(name string) *entry {
	for _, e := range s.entries {
		if e.job.Name == name {
			return e
		}
	}
	return nil
}

// RunNow starts a job at once in the background. The job's own running
// flag keeps it from overlapping a scheduled run, and Recover wraps it as
// the schedule does.
func (s *Scheduler) RunNow(name string) error {
	e := s.entry(name)
	if e == nil {
		return ErrUnknownJob
	}
	if e.running.Load() {
		return ErrRunning
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	job := cron.NewChain(cron.Recover(cronLogger{s.log})).Then(cron.FuncJob(func() { s.run(e, "manual") }))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		job.Run()
	}()
	return nil
}

// Settle waits until the runs started by RunNow have finished (the
// scheduled ones are not waited for); a test that pressed "send now"
// settles before it looks at the outcome.
func (s *Scheduler) Settle() { s.wg.Wait() }

// Jobs describes every job with its last run.
func (s *Scheduler) Jobs(ctx context.Context) ([]Info, error) {
	out := make([]Info, 0, len(s.entries))
	for _, e := range s.entries {
		last, err := s.db.LastJobRun(ctx, e.job.Name)
		if err != nil {
			return nil, err
		}
		info := Info{Name: e.job.Name, Schedule: e.job.Schedule, Enabled: e.job.Enabled, Running: e.running.Load(), Last: last}
		if e.id != 0 {
			info.Next = s.cron.Entry(e.id).Next
		}
		out = append(out, info)
	}
	return out, nil
}

// Has reports whether a job of that name exists.
func (s *Scheduler) Has(name string) bool { return s.entry(name) != nil }
