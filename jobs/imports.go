package jobs

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"

	"keyuan/models"
	"keyuan/sheet"
)

// ImportBatchSize rows are written per transaction: an error rolls back
// that batch whole, never half of it.
const ImportBatchSize = 500

// maxDistinctValues bounds how many different values of one category
// column the wizard offers to map.
const maxDistinctValues = 300

// Importer runs imports in the background, one goroutine per running job,
// each cancellable.
type Importer struct {
	db   *models.DB
	log  *slog.Logger
	base context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	cancels map[int64]context.CancelCauseFunc
	wg      sync.WaitGroup

	batchSize  int    // rows per transaction: ImportBatchSize, smaller in tests
	afterBatch func() // tests: called after each batch is recorded
}

// NewImporter marks jobs a previous process left running as failed, so
// nothing stays "running" forever after a crash.
func NewImporter(ctx context.Context, db *models.DB, log *slog.Logger) (*Importer, error) {
	if err := db.FailInterruptedImports(ctx); err != nil {
		return nil, err
	}
	base, stop := context.WithCancelCause(context.Background())
	return &Importer{db: db, log: log, base: base, stop: func() { stop(errShutdown) }, cancels: map[int64]context.CancelCauseFunc{},
		batchSize: ImportBatchSize}, nil
}

// Shutdown cancels running imports and waits for them to stop.
func (im *Importer) Shutdown() {
	im.stop()
	im.wg.Wait()
}

// Start begins a ready job in the background; ErrConflict when it is not
// ready (e.g. already started).
func (im *Importer) Start(ctx context.Context, actor models.Actor, id int64) error {
	job, err := im.db.GetImportJob(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := im.db.CreateImportValues(ctx, actor, job); err != nil {
		return err
	}
	if err := im.db.SaveImportSetup(ctx, actor, job); err != nil {
		return err
	}
	if err := im.db.StartImportJob(ctx, actor, id); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancelCause(im.base)
	im.mu.Lock()
	im.cancels[id] = cancel
	im.mu.Unlock()
	im.wg.Add(1)
	go func() {
		defer im.wg.Done()
		defer func() {
			im.mu.Lock()
			delete(im.cancels, id)
			im.mu.Unlock()
			cancel(nil)
		}()
		defer func() {
			// A bug must not take the server down with it: the job ends
			// failed, with what its finished batches did.
			if r := recover(); r != nil {
				im.log.Error("import panicked", "job", id, "panic", r, "stack", string(debug.Stack()))
				if err := im.db.FinishImportJob(context.Background(), id, actor.ID, "failed", "import.problem.internal",
					models.ImportCounts{}); err != nil {
					im.log.Error("finish import", "job", id, "err", err)
				}
			}
		}()
		im.run(runCtx, actor, job)
	}()
	return nil
}

// Cancel stops a running job after its current batch; false when the job
// is not running here.
func (im *Importer) Cancel(id int64) bool {
	im.mu.Lock()
	defer im.mu.Unlock()
	cancel, ok := im.cancels[id]
	if ok {
		cancel(errCancelled)
	}
	return ok
}

// Wait blocks until no import runs (tests).
func (im *Importer) Wait() { im.wg.Wait() }

// run checks every row first and writes nothing when the file itself is
// broken; then it writes the good rows in batches.
func (im *Importer) run(ctx context.Context, actor models.Actor, job *models.ImportJob) {
	counts, err := im.runPhases(ctx, actor, job)
	status, msg := "done", ""
	switch {
	case errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), errShutdown):
		// The server is stopping: what the finished batches did is kept
		// and counted; the batch in flight rolled back and is not.
		status, msg = "failed", "import.interrupted"
	case errors.Is(err, context.Canceled):
		status, msg = "cancelled", "import.cancelled"
	case err != nil:
		status, msg = "failed", ProblemKey(err)
		im.log.Warn("import failed", "job", job.ID, "err", err)
	}
	// The run's own context may be cancelled; the final bookkeeping must
	// still be written.
	if err := im.db.FinishImportJob(context.Background(), job.ID, actor.ID, status, msg, counts); err != nil {
		im.log.Error("finish import", "job", job.ID, "err", err)
	}
}

// Why a run's context ends: a person's cancel, or the server stopping.
var (
	errCancelled = errors.New("import cancelled by the user")
	errShutdown  = errors.New("server stopping")
)

// ProblemKey turns a reading error into a message key.
func ProblemKey(err error) string {
	var p *sheet.Problem
	if errors.As(err, &p) {
		if p.Line > 0 {
			return fmt.Sprintf("import.problem.%s|%d", p.Code, p.Line)
		}
		return "import.problem." + p.Code
	}
	return "import.problem.internal"
}

func (im *Importer) runPhases(ctx context.Context, actor models.Actor, job *models.ImportJob) (models.ImportCounts, error) {
	var n models.ImportCounts
	conv, err := NewConverter(ctx, im.db, actor, job)
	if err != nil {
		return n, err
	}
	// Phase 1: check every row; nothing is written if the file is broken.
	// Good rows are spooled to a plain CSV file, so the second pass does not
	// parse the upload (XLSX parsing is the slow part) a second time.
	spoolPath := job.Path + ".rows"
	spoolFile, err := os.Create(spoolPath)
	if err != nil {
		return n, err
	}
	defer os.Remove(spoolPath)
	defer spoolFile.Close()
	spool := csv.NewWriter(bufio.NewWriterSize(spoolFile, 256<<10))
	var failed []models.ImportResult
	rows := 0
	err = eachRow(ctx, im.db, job, func(line int, row []string, r *sheet.Reader) error {
		rows++
		if _, errs := conv.Convert(row, r); len(errs) > 0 {
			failed = append(failed, models.ImportResult{Row: line, Outcome: "failed", Reason: strings.Join(errs, ";")})
		} else if err := spool.Write(append([]string{strconv.Itoa(line)}, row...)); err != nil {
			return err
		}
		if rows%2000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n.Processed = rows / 5
			return im.db.SetImportProgress(ctx, job.ID, n)
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := flushSpool(spool, spoolFile); err != nil {
		return n, err
	}
	job.Total = rows
	n.Failed = len(failed)
	if err := im.db.AddImportResults(ctx, job.ID, failed); err != nil {
		return n, err
	}
	// Phase 2: write the good rows in batches.
	dups, err := newDupChecker(ctx, im.db, job)
	if err != nil {
		return n, err
	}
	// Checking took the first fifth of the progress bar; writing takes the rest.
	checked, seen := rows/5, 0
	var batch []models.ImportRow
	var skipped []models.ImportResult
	flush := func() error {
		if len(batch)+len(skipped) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var res []models.ImportResult
		if len(batch) > 0 {
			ids, err := im.db.ImportBatch(ctx, actor, job.Kind, batch)
			if err != nil && ctx.Err() != nil {
				return ctx.Err() // stopped, not failed: the batch rolled back and is not counted
			}
			if err != nil {
				// The whole batch rolled back: report each of its rows.
				for _, r := range batch {
					res = append(res, models.ImportResult{Row: r.Row, Outcome: "failed", Reason: "import.err.database"})
				}
				n.Failed += len(batch)
				im.log.Warn("import batch failed", "job", job.ID, "err", err)
			} else {
				for i, r := range batch {
					dups.added(ids[i], r)
					warned := strings.Join(r.Warnings, ";")
					switch {
					case r.Action == "update":
						n.Updated++
						reason := "import.outcome.updated"
						if warned != "" {
							reason += ";" + warned
						}
						res = append(res, models.ImportResult{Row: r.Row, Outcome: "updated", Reason: reason, RecordID: ids[i]})
					default:
						n.Created++
						if warned != "" {
							res = append(res, models.ImportResult{Row: r.Row, Outcome: "created", Reason: warned, RecordID: ids[i]})
						}
					}
				}
			}
		}
		// Skipped rows are recorded even when the batch wrote nothing: a
		// file imported twice reports every row as a duplicate.
		res = append(res, skipped...)
		if err := im.db.AddImportResults(ctx, job.ID, res); err != nil {
			return err
		}
		n.Skipped += len(skipped)
		batch, skipped = batch[:0], skipped[:0]
		n.Processed = checked + (rows-checked)*seen/max(rows, 1)
		if im.afterBatch != nil {
			im.afterBatch()
		}
		return im.db.SetImportProgress(context.WithoutCancel(ctx), job.ID, n)
	}
	err = eachSpooled(spoolPath, func(line int, row []string) error {
		seen = line - 1 // header and blank lines count as seen too
		ir, errs := conv.Convert(row, nil)
		if len(errs) > 0 { // cannot happen: the same row passed phase 1
			return fmt.Errorf("row %d changed between passes", line)
		}
		ir.Row = line
		if skip := dups.decide(&ir, actor); skip != "" {
			skipped = append(skipped, models.ImportResult{Row: line, Outcome: "skipped", Reason: skip})
		} else {
			batch = append(batch, ir)
		}
		if len(batch)+len(skipped) >= im.batchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	n.Processed = rows
	return n, err
}

func flushSpool(w *csv.Writer, f *os.File) error {
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Sync()
}

// eachSpooled reads back the rows phase one spooled: line number, cells.
func eachSpooled(path string, fn func(line int, row []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, err := strconv.Atoi(rec[0])
		if err != nil {
			return err
		}
		if err := fn(line, rec[1:]); err != nil {
			return err
		}
	}
}

// eachRow calls fn for every data row of the job: from the staged lines
// when the upload was parsed into the database (every job since staging
// exists), else from the file.
func eachRow(ctx context.Context, db *models.DB, job *models.ImportJob, fn func(line int, row []string, r *sheet.Reader) error) error {
	if job.Staged {
		return db.EachStagedLine(ctx, job.ID, job.HeaderLine, func(l models.StagedLine) error {
			return fn(l.Line, l.Cells, nil)
		})
	}
	r, err := sheet.OpenAt(job.Path, sheet.Format(job.Format), job.Sheet, job.HeaderLine, sheet.DefaultLimits)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r.Line(), row, r); err != nil {
			return err
		}
	}
}

// Scan reads a whole upload for the wizard: how many rows, and the distinct
// values of every mapped category column.
func Scan(ctx context.Context, db *models.DB, job *models.ImportJob) (rows int, values map[string][]string, err error) {
	values = map[string][]string{}
	seen := map[string]map[string]bool{}
	cols := map[int]models.ImportField{}
	for i, key := range job.Mapping {
		if f, ok := models.ImportFieldByKey(job.Kind, key); ok && f.AuxType != "" {
			cols[i] = f
			seen[key] = map[string]bool{}
		}
	}
	err = eachRow(ctx, db, job, func(line int, row []string, r *sheet.Reader) error {
		rows++
		for i, f := range cols {
			if i >= len(row) || row[i] == "" {
				continue
			}
			vals := []string{row[i]}
			if f.Multi {
				vals = models.SplitMulti(row[i])
			}
			for _, v := range vals {
				if !seen[f.Key][v] && len(seen[f.Key]) < maxDistinctValues && !models.TooLong(v, 60) {
					seen[f.Key][v] = true
					values[f.Key] = append(values[f.Key], v)
				}
			}
		}
		return nil
	})
	for _, v := range values {
		sort.Strings(v)
	}
	return rows, values, err
}

// PreviewRow is one row of the wizard's preview.
type PreviewRow struct {
	Line   int
	Cells  []string
	Errors []string
	// Warnings are the optional values that will be left empty, or look
	// damaged, in a row that imports.
	Warnings []string
}

// Preview converts the first n rows, with their errors.
func Preview(ctx context.Context, db *models.DB, actor models.Actor, job *models.ImportJob, n int) ([]PreviewRow, error) {
	conv, err := NewConverter(ctx, db, actor, job)
	if err != nil {
		return nil, err
	}
	var out []PreviewRow
	stop := errors.New("enough")
	err = eachRow(ctx, db, job, func(line int, row []string, r *sheet.Reader) error {
		ir, errs := conv.Convert(row, r)
		cells := make([]string, len(job.Header))
		copy(cells, row)
		pr := PreviewRow{Line: line, Cells: cells, Errors: errs}
		if len(errs) == 0 {
			pr.Warnings = ir.Warnings
		}
		out = append(out, pr)
		if len(out) >= n {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return out, err
	}
	return out, nil
}
