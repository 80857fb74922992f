package models

import "time"

// Now is the application's one clock: every "now" of the models, handlers
// and jobs comes from here, so a test moves time with SetClock instead of
// waiting on the wall clock. Durations of work (how long a job took) are
// measured with the monotonic time.Since and are not business time.
func (db *DB) Now() time.Time {
	if f := db.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now().UTC()
}

// SetClock replaces the clock; safe while the server runs. nil restores the
// wall clock.
func (db *DB) SetClock(now func() time.Time) {
	if now == nil {
		db.clock.Store(nil)
		return
	}
	db.clock.Store(&now)
}

// Stopwatch measures how long work takes, on the monotonic clock: a duration
// is not business time, and a test's frozen clock must not make it zero.
func Stopwatch() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
